-- Panels are not draws: their baselines are seasonal naive (the value one season before, season length
-- from the dataset's frequency) and naive (the last value at the cutoff). Per latest completed run of a
-- plan row on a panel and per series: the cross-validation MAE beside both baselines on the same points,
-- and the MAE relative to seasonal naive (below 1: the model beats it). Chance bounds are lottery-only.
with

panels as (
    select
        dataset,
        season_length
    from {{ ref('mart_datasets') }}
    where dataset_kind = 'panel'
),

latest_runs as (
    select
        runs.run_id,
        runs.run_name,
        runs.plan_id,
        runs.model_name,
        runs.dataset,
        panels.season_length,
        row_number() over (partition by runs.plan_id order by runs.end_time desc, runs.run_id asc) as recency
    from {{ ref('stg_raw__nf_model_runs') }} as runs
    inner join panels on runs.dataset = panels.dataset
    where runs.status = 'COMPLETED' and runs.run_kind in ('train', 'retrain')
),

windows as (
    select
        latest_runs.run_id,
        latest_runs.run_name,
        latest_runs.plan_id,
        latest_runs.model_name,
        latest_runs.dataset,
        latest_runs.season_length,
        forecasts.unique_id,
        forecasts.cutoff,
        forecasts.ds,
        forecasts.horizon_step,
        forecasts.y_hat,
        forecasts.y
    from {{ ref('stg_raw__run_forecasts') }} as forecasts
    inner join latest_runs on forecasts.run_id = latest_runs.run_id
    where latest_runs.recency = 1 and forecasts.forecast_kind = 'cross_validation' and forecasts.y is not null
),

with_baselines as (
    select
        windows.*,
        naive.y as naive_y_hat,
        seasonal.y as seasonal_naive_y_hat
    from windows
    left join {{ ref('fct_series_long') }} as naive
        on windows.unique_id = naive.unique_id and windows.cutoff = naive.ds
    left join {{ ref('fct_series_long') }} as seasonal
        on
            windows.unique_id = seasonal.unique_id
            and windows.cutoff - windows.season_length + mod(windows.horizon_step - 1, windows.season_length) + 1
            = seasonal.ds
),

per_series as (
    select
        dataset,
        run_id,
        run_name,
        plan_id,
        model_name,
        unique_id,
        max(season_length) as season_length,
        count(*) as n_points,
        avg(abs(y - y_hat)) as model_mae,
        avg(abs(y - naive_y_hat)) as naive_mae,
        avg(abs(y - seasonal_naive_y_hat)) as seasonal_naive_mae,
        count(seasonal_naive_y_hat) as seasonal_naive_points
    from with_baselines
    group by dataset, run_id, run_name, plan_id, model_name, unique_id
)

select
    dataset,
    run_id,
    run_name,
    plan_id,
    model_name,
    unique_id,
    cast(season_length as integer) as season_length,
    cast(n_points as integer) as n_points,
    cast(model_mae as float8) as model_mae,
    cast(naive_mae as float8) as naive_mae,
    cast(seasonal_naive_mae as float8) as seasonal_naive_mae,
    cast(seasonal_naive_points as integer) as seasonal_naive_points,
    cast(case when seasonal_naive_mae > 0 then model_mae / seasonal_naive_mae end as float8)
        as mae_relative_to_seasonal_naive,
    cast(case when naive_mae > 0 then model_mae / naive_mae end as float8) as mae_relative_to_naive,
    coalesce(model_mae < seasonal_naive_mae, false) as beats_seasonal_naive,
    coalesce(model_mae < naive_mae, false) as beats_naive
from per_series
