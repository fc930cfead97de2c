-- Per game, plan row and horizon step: the prospective MAE over every series and scored draw beside seasonal
-- naive, and the geometric mean over series of the MAE relative to seasonal naive (the convention of the fev
-- and GIFT-Eval benchmarks; below 1 beats it).
with

sequences as (
    select *
    from {{ ref('prospective_sequences') }}
),

models as (
    select
        game_code,
        plan_id,
        run_name,
        model_name,
        horizon_step,
        count(*) as n_series,
        max(n_scored) as n_draws,
        sum(cumulative_mae * n_scored) / sum(n_scored) as model_mae,
        sum(cumulative_seasonal_naive_mae * n_scored) / sum(n_scored) as seasonal_naive_mae,
        sum(cumulative_best_constant_mae * n_scored) / sum(n_scored) as best_constant_mae,
        sum(exact_best_mae * n_scored) / sum(n_scored) as exact_best_mae,
        {{ geometric_mean_of_ratios('mae_relative_to_seasonal_naive') }} as geometric_mean_relative_mae,
        sum(case when beats_chance then 1 else 0 end) as series_beating_chance
    from sequences
    group by game_code, plan_id, run_name, model_name, horizon_step
)

select
    game_code,
    plan_id,
    run_name,
    model_name,
    horizon_step,
    cast(n_series as integer) as n_series,
    cast(n_draws as integer) as n_draws,
    cast(model_mae as float8) as model_mae,
    cast(best_constant_mae as float8) as best_constant_mae,
    cast(seasonal_naive_mae as float8) as seasonal_naive_mae,
    cast(exact_best_mae as float8) as exact_best_mae,
    cast(geometric_mean_relative_mae as float8) as geometric_mean_relative_mae,
    cast(series_beating_chance as integer) as series_beating_chance,
    cast(
        rank() over (partition by game_code, horizon_step order by model_mae) as integer
    ) as mae_rank
from models
