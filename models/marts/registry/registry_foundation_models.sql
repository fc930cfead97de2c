-- One row per scanned foundation-model adapter and library version: what it can do (zero-shot,
-- covariates, quantile grid, context and horizon limits, fine-tuning, embeddings), whether it builds,
-- and where its weights go. Foundation models sit in plans beside neuralforecast's models.
with

foundation as (
    select * from {{ ref('stg_raw__registry_foundation_capabilities') }}
),

capabilities as (
    select * from {{ ref('stg_raw__registry_model_capabilities') }}
    where scope = 'class'
),

environments as (
    select * from {{ ref('stg_raw__registry_environments') }}
)

select
    foundation.env_key,
    foundation.library,
    environments.library_version,
    foundation.model_class,
    foundation.zero_shot,
    foundation.past_covariates,
    foundation.future_covariates,
    foundation.quantile_output,
    foundation.quantile_min,
    foundation.quantile_max,
    foundation.max_context,
    foundation.max_horizon,
    foundation.fine_tuning,
    foundation.embeddings,
    foundation.needs_checkpoint,
    foundation.default_checkpoint,
    foundation.how_to_get,
    coalesce(capabilities.can_build, false) as can_build
from foundation
left join environments
    on foundation.env_key = environments.env_key
left join capabilities
    on
        foundation.env_key = capabilities.env_key
        and foundation.model_class = capabilities.model_class
