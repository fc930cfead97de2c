select
    cast(run_id as varchar) as run_id,
    cast(forecast_kind as varchar) as forecast_kind,
    cast(unique_id as varchar) as unique_id,
    cast(cutoff as bigint) as cutoff,
    cast(ds as bigint) as ds,
    cast(horizon_step as integer) as horizon_step,
    cast(y_hat as float8) as y_hat,
    cast(y as float8) as y,
    cast(ds_time as timestamp) as ds_time,
    cast(cutoff_time as timestamp) as cutoff_time
from {{ source('raw', 'run_forecasts') }}
