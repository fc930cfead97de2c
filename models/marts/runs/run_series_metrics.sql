-- Accuracy per run, model and series: each metric averaged over the cross-validation windows.
with

per_series as (
    select
        run_id,
        unique_id,
        metric,
        cast(count(*) as integer) as n_windows,
        cast(sum(n_points) as integer) as n_points,
        avg(metric_value) as mean_value,
        min(metric_value) as min_value,
        max(metric_value) as max_value
    from {{ ref('stg_raw__run_metrics') }}
    group by run_id, unique_id, metric
),

runs as (
    -- the runs of run_history: a build while trainers write sees each run in every mart or in none
    select * from {{ ref('run_history') }}
),

slots as (
    select * from {{ ref('stg_reference__slots') }}
)

select
    per_series.run_id,
    runs.run_name,
    runs.run_kind,
    runs.model_name,
    runs.dataset,
    runs.series_selector,
    per_series.unique_id,
    slots.slot_index,
    per_series.metric,
    per_series.mean_value,
    per_series.min_value,
    per_series.max_value,
    per_series.n_windows,
    per_series.n_points,
    runs.created_at as run_created_at
from per_series
inner join runs on per_series.run_id = runs.run_id
left join slots on per_series.unique_id = slots.unique_id
