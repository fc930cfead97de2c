-- Every forecast lies 1..h draws after its cutoff, and horizon_step counts exactly those draws.
select
    forecasts.run_id,
    forecasts.unique_id,
    forecasts.cutoff,
    forecasts.ds,
    forecasts.horizon_step,
    runs.horizon
from {{ ref('run_forecasts_vs_actuals') }} as forecasts
inner join {{ ref('run_history') }} as runs on forecasts.run_id = runs.run_id
where
    forecasts.horizon_step < 1
    or forecasts.horizon_step > runs.horizon
    or forecasts.ds - forecasts.cutoff <> forecasts.horizon_step
