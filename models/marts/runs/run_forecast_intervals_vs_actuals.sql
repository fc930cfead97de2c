-- Prediction intervals of probabilistic runs beside the actual draw: whether it fell inside.
with

intervals as (
    select * from {{ ref('stg_raw__run_forecast_intervals') }}
),

points as (
    select * from {{ ref('run_forecasts_vs_actuals') }}
)

select
    intervals.run_id,
    points.run_name,
    points.model_name,
    points.dataset,
    intervals.forecast_kind,
    intervals.unique_id,
    intervals.cutoff,
    intervals.ds,
    points.horizon_step,
    points.ds_time,
    points.cutoff_time,
    intervals.interval_level,
    intervals.lo,
    intervals.hi,
    points.y_hat,
    points.y_actual,
    points.is_actual_known,
    case
        when points.y_actual is null then null
        else points.y_actual >= intervals.lo and points.y_actual <= intervals.hi
    end as is_covered
from intervals
inner join points
    on
        intervals.run_id = points.run_id
        and intervals.forecast_kind = points.forecast_kind
        and intervals.unique_id = points.unique_id
        and intervals.cutoff = points.cutoff
        and intervals.ds = points.ds
