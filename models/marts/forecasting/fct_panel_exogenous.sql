-- Exogenous values of uploaded panels (long: one row per series, ds and feature); is_future marks the
-- fut_ values after the series' last observation (from a futr file), which futr_df is made of.
with

last_observed as (
    select
        unique_id,
        max(ds) as last_ds
    from {{ ref('stg_raw__panel_observations') }}
    group by unique_id
)

select
    exogenous.dataset,
    exogenous.unique_id,
    exogenous.ds,
    exogenous.ds_time,
    exogenous.feature_name,
    exogenous.feature_kind,
    exogenous.feature_value,
    coalesce(exogenous.ds > last_observed.last_ds, true) as is_future
from {{ ref('stg_raw__panel_exogenous') }} as exogenous
left join last_observed on exogenous.unique_id = last_observed.unique_id
