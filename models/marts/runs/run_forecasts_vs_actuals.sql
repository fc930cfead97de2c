-- Every forecast of every run beside the actual draw once it is known: cross-validation windows
-- carry y from training; a forecast of a future draw is matched to the draw when it is ingested.
-- ds_time is the timestamp of ds (a date panel's date, or the draw date once the draw is known).
with

forecasts as (
    select * from {{ ref('stg_raw__run_forecasts') }}
),

runs as (
    -- the runs of run_history: a build while trainers write sees each run in every mart or in none
    select * from {{ ref('run_history') }}
),

actuals as (
    select
        unique_id,
        ds,
        y,
        draw_date,
        ds_time
    from {{ ref('fct_series_long') }}
),

joined as (
    select
        forecasts.run_id,
        runs.run_name,
        runs.run_kind,
        runs.model_name,
        runs.dataset,
        forecasts.forecast_kind,
        forecasts.unique_id,
        forecasts.cutoff,
        forecasts.ds,
        forecasts.horizon_step,
        forecasts.y_hat,
        actuals.draw_date,
        forecasts.cutoff_time,
        coalesce(forecasts.ds_time, actuals.ds_time) as ds_time,
        coalesce(forecasts.y, actuals.y) as y_actual
    from forecasts
    inner join runs on forecasts.run_id = runs.run_id
    left join actuals
        on
            forecasts.unique_id = actuals.unique_id
            and forecasts.ds = actuals.ds
)

select
    run_id,
    run_name,
    run_kind,
    model_name,
    dataset,
    forecast_kind,
    unique_id,
    cutoff,
    ds,
    horizon_step,
    y_hat,
    y_actual,
    draw_date,
    ds_time,
    cutoff_time,
    y_actual is not null as is_actual_known,
    abs(y_hat - y_actual) as abs_error
from joined
