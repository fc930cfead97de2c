select
    cast(run_id as varchar) as run_id,
    cast(unique_id as varchar) as unique_id,
    cast(window_index as integer) as window_index,
    cast(cutoff as bigint) as cutoff,
    cast(metric as varchar) as metric,
    cast(value as float8) as metric_value,
    cast(n_points as integer) as n_points
from {{ source('raw', 'run_metrics') }}
