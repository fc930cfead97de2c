-- One row per latest panel run: its MAE beside the baselines over every series, and the geometric mean
-- over series of its MAE relative to seasonal naive (the convention of the fev and GIFT-Eval benchmarks).
with

series as (
    select *
    from {{ ref('panel_leaderboard') }}
),

runs as (
    select
        dataset,
        run_id,
        run_name,
        plan_id,
        model_name,
        count(*) as n_series,
        sum(n_points) as n_points,
        sum(model_mae * n_points) / sum(n_points) as model_mae,
        sum(naive_mae * n_points) / sum(n_points) as naive_mae,
        sum(seasonal_naive_mae * n_points) / sum(n_points) as seasonal_naive_mae,
        {{ geometric_mean_of_ratios('mae_relative_to_seasonal_naive') }} as geometric_mean_relative_mae
    from series
    group by dataset, run_id, run_name, plan_id, model_name
)

select
    dataset,
    run_id,
    run_name,
    plan_id,
    model_name,
    cast(n_series as integer) as n_series,
    cast(n_points as integer) as n_points,
    cast(model_mae as float8) as model_mae,
    cast(naive_mae as float8) as naive_mae,
    cast(seasonal_naive_mae as float8) as seasonal_naive_mae,
    cast(geometric_mean_relative_mae as float8) as geometric_mean_relative_mae,
    cast(
        case
            when geometric_mean_relative_mae is null then 'no seasonal naive baseline (series shorter than a season)'
            when geometric_mean_relative_mae < 1 then 'better than seasonal naive'
            else 'not better than seasonal naive'
        end as varchar
    ) as verdict,
    coalesce(geometric_mean_relative_mae < 1, false) as beats_seasonal_naive
from runs
