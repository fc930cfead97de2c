select
    cast(env_key as varchar) as env_key,
    cast(library as varchar) as library,
    cast(model_class as varchar) as model_class,
    cast(zero_shot as boolean) as zero_shot,
    cast(past_covariates as boolean) as past_covariates,
    cast(future_covariates as boolean) as future_covariates,
    cast(quantile_output as boolean) as quantile_output,
    cast(quantile_min as double precision) as quantile_min,
    cast(quantile_max as double precision) as quantile_max,
    cast(max_context as integer) as max_context,
    cast(max_horizon as integer) as max_horizon,
    cast(fine_tuning as boolean) as fine_tuning,
    cast(embeddings as boolean) as embeddings,
    cast(needs_checkpoint as boolean) as needs_checkpoint,
    cast(default_checkpoint as varchar) as default_checkpoint,
    cast(how_to_get as varchar) as how_to_get
from {{ source('raw', 'registry_foundation_capabilities') }}
