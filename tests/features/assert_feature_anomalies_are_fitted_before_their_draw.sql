-- Online scores: a row's detector was fitted on windows that ended before its draw (warm-up rows have no fit).
select
    detector,
    unique_id,
    ds,
    fitted_through_ds
from {{ ref('stg_raw__feature_anomalies') }}
where
    (not warmup and (fitted_through_ds is null or fitted_through_ds >= ds))
    or (warmup and (fitted_through_ds is not null or train_windows <> 0))
