-- One row per scanned environment (env_key) with how much the scan found in it.
with

environments as (
    select * from {{ ref('stg_raw__registry_environments') }}
),

symbol_counts as (
    select
        env_key,
        count(*) as n_symbols
    from {{ ref('stg_raw__registry_symbols') }}
    group by env_key
),

parameter_counts as (
    select
        env_key,
        count(*) as n_parameters
    from {{ ref('stg_raw__registry_parameters') }}
    group by env_key
),

allowed_value_counts as (
    select
        env_key,
        count(*) as n_allowed_values
    from {{ ref('stg_raw__registry_allowed_values') }}
    group by env_key
),

model_counts as (
    select
        env_key,
        count(*) as n_models,
        sum(case when auto_class <> '' then 1 else 0 end) as n_auto_models
    from {{ ref('stg_raw__registry_model_capabilities') }}
    where scope = 'class'
    group by env_key
),

loss_counts as (
    select
        env_key,
        count(*) as n_losses
    from {{ ref('stg_raw__registry_losses') }}
    group by env_key
)

select
    environments.env_key,
    environments.library,
    environments.library_version,
    environments.version_sort_key,
    environments.python_version,
    environments.torch_version,
    environments.accelerator,
    environments.status,
    environments.error,
    environments.scanned_at,
    cast(coalesce(symbol_counts.n_symbols, 0) as bigint) as n_symbols,
    cast(coalesce(parameter_counts.n_parameters, 0) as bigint) as n_parameters,
    cast(coalesce(allowed_value_counts.n_allowed_values, 0) as bigint) as n_allowed_values,
    cast(coalesce(model_counts.n_models, 0) as bigint) as n_models,
    cast(coalesce(loss_counts.n_losses, 0) as bigint) as n_losses,
    cast(coalesce(model_counts.n_auto_models, 0) as bigint) as n_auto_models
from environments
left join symbol_counts on environments.env_key = symbol_counts.env_key
left join parameter_counts on environments.env_key = parameter_counts.env_key
left join allowed_value_counts on environments.env_key = allowed_value_counts.env_key
left join model_counts on environments.env_key = model_counts.env_key
left join loss_counts on environments.env_key = loss_counts.env_key
