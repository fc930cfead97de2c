-- Resource use per model class and accelerator, over its completed train and retrain runs.
with

usage as (
    select * from {{ ref('run_resource_usage') }}
    where status = 'COMPLETED' and run_kind in ('train', 'retrain')
)

select
    model_name,
    accelerator,
    cast(count(*) as integer) as n_runs,
    cast(avg(peak_rss_bytes) as float8) as mean_peak_rss_bytes,
    avg(duration_seconds) as mean_duration_seconds,
    max(duration_seconds) as max_duration_seconds,
    avg(cpu_seconds) as mean_cpu_seconds,
    avg(mean_process_cpu_percent) as mean_process_cpu_percent,
    max(peak_rss_bytes) as max_peak_rss_bytes,
    avg(mean_gpu_utilization_percent) as mean_gpu_utilization_percent,
    max(peak_gpu_memory_used_bytes) as max_peak_gpu_memory_used_bytes
from usage
group by model_name, accelerator
