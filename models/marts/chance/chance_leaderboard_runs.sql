-- One row per scored run: its MAE over every series beside the baselines, and the geometric mean over series
-- of its MAE relative to seasonal naive (the convention of the fev and GIFT-Eval benchmarks).
with

entries as (
    select *
    from {{ ref('chance_leaderboard') }}
),

runs as (
    select
        game_code,
        run_id,
        run_name,
        model_name,
        plan_id,
        count(*) as n_series,
        sum(n_points) as n_points,
        sum(model_mae * n_points) / sum(n_points) as model_mae,
        sum(seasonal_naive_mae * n_points) / sum(n_points) as seasonal_naive_mae,
        sum(best_constant_mae * n_points) / sum(n_points) as best_constant_mae,
        {{ geometric_mean_of_ratios('mae_relative_to_seasonal_naive') }} as geometric_mean_relative_mae,
        sum(case when beats_chance then 1 else 0 end) as series_beating_chance
    from entries
    group by game_code, run_id, run_name, model_name, plan_id
)

select
    game_code,
    run_id,
    run_name,
    model_name,
    plan_id,
    cast(n_series as integer) as n_series,
    cast(n_points as integer) as n_points,
    cast(model_mae as float8) as model_mae,
    cast(seasonal_naive_mae as float8) as seasonal_naive_mae,
    cast(best_constant_mae as float8) as best_constant_mae,
    cast(geometric_mean_relative_mae as float8) as geometric_mean_relative_mae,
    cast(series_beating_chance as integer) as series_beating_chance
from runs
