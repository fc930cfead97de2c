-- The model store: every saved model with the run that trained it, its accuracy, the exact
-- features it needs, and whether it is the newest model of its plan row.
with

artifacts as (
    select * from {{ ref('stg_raw__model_artifacts') }}
),

runs as (
    select * from {{ ref('run_history') }}
),

predictions as (
    select
        parent_run_id as run_id,
        count(*) as n_predict_runs,
        max(created_at) as last_predicted_at
    from {{ ref('stg_raw__nf_model_runs') }}
    where run_kind = 'predict' and status = 'COMPLETED'
    group by parent_run_id
),

ranked as (
    select
        artifacts.*,
        row_number() over (partition by artifacts.plan_id order by artifacts.created_at desc) as newest_rank
    from artifacts
)

select
    ranked.artifact_id,
    ranked.run_id,
    ranked.plan_id,
    runs.run_name,
    runs.run_kind,
    ranked.model_name,
    ranked.dataset,
    runs.series_selector,
    ranked.table_name,
    ranked.artifact_path,
    ranked.files_hash,
    ranked.file_count,
    ranked.size_bytes,
    ranked.unique_ids_json,
    ranked.futr_exog_list_json,
    ranked.hist_exog_list_json,
    ranked.stat_exog_list_json,
    ranked.feature_set_json,
    ranked.env_key,
    ranked.data_version,
    ranked.artifact_status,
    runs.cv_mae,
    runs.cv_rmse,
    runs.last_ds as trained_through_ds,
    cast(coalesce(predictions.n_predict_runs, 0) as integer) as n_predict_runs,
    predictions.last_predicted_at,
    ranked.created_at,
    ranked.updated_at,
    ranked.newest_rank = 1 as is_newest_for_plan
from ranked
inner join runs on ranked.run_id = runs.run_id
left join predictions on ranked.run_id = predictions.run_id
