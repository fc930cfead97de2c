-- Exogenous values of uploaded panels (long: one row per series, ds and feature).
select
    dataset_name,
    unique_id,
    ds,
    feature_name,
    feature_value
from {{ ref('stg_raw__panel_exogenous') }}
