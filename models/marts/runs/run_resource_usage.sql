-- Resource use per run: the monitor's summary beside what ran and how long it took.
with

runs as (
    -- the runs of run_history: a build while trainers write sees each run in every mart or in none
    select * from {{ ref('run_history') }}
),

summaries as (
    select * from {{ ref('stg_raw__run_resource_summaries') }}
)

select
    summaries.run_id,
    runs.run_name,
    runs.run_kind,
    runs.model_name,
    runs.dataset,
    runs.series_selector,
    runs.status,
    runs.accelerator,
    runs.duration_seconds,
    summaries.samples,
    summaries.monitor_interval_seconds,
    summaries.monitored_seconds,
    summaries.cpu_seconds,
    summaries.mean_process_cpu_percent,
    summaries.peak_process_cpu_percent,
    summaries.mean_rss_bytes,
    summaries.peak_rss_bytes,
    summaries.disk_read_bytes,
    summaries.disk_write_bytes,
    summaries.net_sent_bytes,
    summaries.net_recv_bytes,
    summaries.gpu_name,
    summaries.mean_gpu_utilization_percent,
    summaries.peak_gpu_memory_used_bytes,
    runs.created_at as run_created_at
from summaries
inner join runs on summaries.run_id = runs.run_id
