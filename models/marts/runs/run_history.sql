-- One row per run (train, retrain, predict): what ran, how it ended, its accuracy over the
-- cross-validation windows, its resource peaks and whether it left a stored model.
with

runs as (
    select * from {{ ref('stg_raw__nf_model_runs') }}
),

accuracy as (
    select
        run_id,
        sum(case when metric = 'mae' then metric_value * n_points end)
        / sum(case when metric = 'mae' then n_points end) as cv_mae,
        -- RMSE pools the squared errors of every window (a mean of window RMSEs equals the MAE at h=1)
        sqrt(
            sum(case when metric = 'rmse' then metric_value * metric_value * n_points end)
            / sum(case when metric = 'rmse' then n_points end)
        ) as cv_rmse,
        count(distinct window_index) as cv_windows,
        count(distinct unique_id) as cv_series
    from {{ ref('stg_raw__run_metrics') }}
    group by run_id
),

resources as (
    select * from {{ ref('stg_raw__run_resource_summaries') }}
),

stored_models as (
    select
        run_id,
        count(*) as n_artifacts
    from {{ ref('stg_raw__model_artifacts') }}
    group by run_id
),

forecasts as (
    select
        run_id,
        count(*) as n_next_forecasts
    from {{ ref('stg_raw__run_forecasts') }}
    where forecast_kind = 'forecast'
    group by run_id
)

select
    runs.run_id,
    runs.run_kind,
    runs.parent_run_id,
    runs.plan_id,
    runs.plan_name,
    runs.run_name,
    runs.dataset,
    runs.series_selector,
    {{ json_array_size('runs.unique_ids_json') }} as n_series,
    runs.model_name,
    runs.backend,
    runs.horizon,
    runs.loss,
    runs.status,
    runs.created_at,
    runs.updated_at,
    runs.start_time,
    runs.end_time,
    runs.duration_seconds,
    runs.heartbeat_at,
    accuracy.cv_mae,
    accuracy.cv_rmse,
    cast(coalesce(accuracy.cv_windows, 0) as integer) as cv_windows,
    cast(coalesce(accuracy.cv_series, 0) as integer) as cv_series,
    cast(coalesce(forecasts.n_next_forecasts, 0) as integer) as n_next_forecasts,
    resources.cpu_seconds,
    resources.peak_rss_bytes,
    resources.peak_gpu_memory_used_bytes,
    coalesce(stored_models.n_artifacts, 0) > 0 as has_stored_model,
    runs.error_type,
    runs.error_message,
    runs.env_key,
    runs.data_version,
    runs.table_name,
    runs.train_rows,
    runs.last_ds,
    runs.random_seed,
    runs.accelerator,
    runs.host_name,
    runs.ray_node_id,
    runs.dispatch_id,
    runs.mlflow_run_id
from runs
left join accuracy on runs.run_id = accuracy.run_id
left join resources on runs.run_id = resources.run_id
left join stored_models on runs.run_id = stored_models.run_id
left join forecasts on runs.run_id = forecasts.run_id
