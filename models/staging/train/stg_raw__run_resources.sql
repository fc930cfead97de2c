select
    cast(run_id as varchar) as run_id,
    cast(sample_index as integer) as sample_index,
    cast(sampled_at as timestamp) as sampled_at,
    cast(elapsed_seconds as float8) as elapsed_seconds,
    cast(process_cpu_percent as float8) as process_cpu_percent,
    cast(system_cpu_percent as float8) as system_cpu_percent,
    cast(process_rss_bytes as bigint) as process_rss_bytes,
    cast(system_memory_used_bytes as bigint) as system_memory_used_bytes,
    cast(system_memory_percent as float8) as system_memory_percent,
    cast(disk_read_bytes as bigint) as disk_read_bytes,
    cast(disk_write_bytes as bigint) as disk_write_bytes,
    cast(net_sent_bytes as bigint) as net_sent_bytes,
    cast(net_recv_bytes as bigint) as net_recv_bytes,
    cast(gpu_utilization_percent as float8) as gpu_utilization_percent,
    cast(gpu_memory_used_bytes as bigint) as gpu_memory_used_bytes,
    cast(gpu_memory_total_bytes as bigint) as gpu_memory_total_bytes
from {{ source('raw', 'run_resources') }}
