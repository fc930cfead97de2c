select
    cast(run_id as varchar) as run_id,
    cast(forecast_kind as varchar) as forecast_kind,
    cast(unique_id as varchar) as unique_id,
    cast(cutoff as bigint) as cutoff,
    cast(ds as bigint) as ds,
    cast(level as float8) as interval_level,
    cast(lo as float8) as lo,
    cast(hi as float8) as hi
from {{ source('raw', 'run_forecast_intervals') }}
