select
    cast(run_id as varchar) as run_id,
    cast(samples as integer) as samples,
    cast(monitor_interval_seconds as float8) as monitor_interval_seconds,
    cast(duration_seconds as float8) as monitored_seconds,
    cast(cpu_seconds as float8) as cpu_seconds,
    cast(mean_process_cpu_percent as float8) as mean_process_cpu_percent,
    cast(peak_process_cpu_percent as float8) as peak_process_cpu_percent,
    cast(mean_rss_bytes as bigint) as mean_rss_bytes,
    cast(peak_rss_bytes as bigint) as peak_rss_bytes,
    cast(disk_read_bytes as bigint) as disk_read_bytes,
    cast(disk_write_bytes as bigint) as disk_write_bytes,
    cast(net_sent_bytes as bigint) as net_sent_bytes,
    cast(net_recv_bytes as bigint) as net_recv_bytes,
    cast(gpu_name as varchar) as gpu_name,
    cast(mean_gpu_utilization_percent as float8) as mean_gpu_utilization_percent,
    cast(peak_gpu_memory_used_bytes as bigint) as peak_gpu_memory_used_bytes
from {{ source('raw', 'run_resource_summaries') }}
