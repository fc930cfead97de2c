-- The counts in registry_libraries agree with the rows of the detail marts.
with

symbol_counts as (
    select
        env_key,
        count(*) as n_rows
    from {{ ref('registry_symbols') }}
    group by env_key
),

model_counts as (
    select
        env_key,
        count(*) as n_rows,
        sum(case when auto_available then 1 else 0 end) as n_auto_rows
    from {{ ref('registry_model_capabilities') }}
    group by env_key
),

loss_counts as (
    select
        env_key,
        count(*) as n_rows
    from {{ ref('registry_losses') }}
    group by env_key
)

select
    libraries.env_key,
    libraries.n_symbols,
    libraries.n_models,
    libraries.n_auto_models,
    libraries.n_losses
from {{ ref('registry_libraries') }} as libraries
left join symbol_counts on libraries.env_key = symbol_counts.env_key
left join model_counts on libraries.env_key = model_counts.env_key
left join loss_counts on libraries.env_key = loss_counts.env_key
where
    libraries.n_symbols <> coalesce(symbol_counts.n_rows, 0)
    or libraries.n_models <> coalesce(model_counts.n_rows, 0)
    or libraries.n_auto_models <> coalesce(model_counts.n_auto_rows, 0)
    or libraries.n_losses <> coalesce(loss_counts.n_rows, 0)
