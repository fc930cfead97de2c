-- Accuracy per run, model and series: each metric averaged over the cross-validation windows.
with

metrics as (
    select * from {{ ref('stg_raw__run_metrics') }}
),

runs as (
    select * from {{ ref('stg_raw__nf_model_runs') }}
),

slots as (
    select * from {{ ref('stg_reference__slots') }}
)

select
    metrics.run_id,
    runs.run_name,
    runs.run_kind,
    runs.model_name,
    runs.game_code,
    runs.series_selector,
    metrics.unique_id,
    slots.slot_index,
    metrics.metric,
    cast(count(*) as integer) as n_windows,
    cast(sum(metrics.n_points) as integer) as n_points,
    runs.created_at as run_created_at,
    avg(metrics.metric_value) as mean_value,
    min(metrics.metric_value) as min_value,
    max(metrics.metric_value) as max_value
from metrics
inner join runs on metrics.run_id = runs.run_id
left join slots on metrics.unique_id = slots.unique_id
group by
    metrics.run_id,
    runs.run_name,
    runs.run_kind,
    runs.model_name,
    runs.game_code,
    runs.series_selector,
    metrics.unique_id,
    slots.slot_index,
    metrics.metric,
    runs.created_at
