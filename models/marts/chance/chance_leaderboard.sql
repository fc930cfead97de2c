-- Every scored model and series beside chance on the same cross-validation draws, ranked by MAE,
-- with a verdict that calls a model better than chance only when the Holm-corrected test says so.
with

entries as (
    select * from {{ ref('stg_raw__leaderboard_entries') }}
),

slots as (
    select * from {{ ref('stg_reference__slots') }}
)

select
    entries.game_code,
    entries.unique_id,
    slots.slot_index,
    entries.run_id,
    entries.run_name,
    entries.model_name,
    entries.plan_id,
    entries.n_points,
    entries.model_mae,
    entries.uniform_guess_mae,
    entries.best_constant_mae,
    entries.seasonal_naive_mae,
    entries.exact_best_mae,
    entries.mean_error_difference,
    entries.p_value,
    entries.p_holm,
    entries.n_tests,
    entries.alpha,
    entries.beats_chance,
    entries.evaluated_at,
    cast(
        case when entries.seasonal_naive_mae > 0 then entries.model_mae / entries.seasonal_naive_mae end as float8
    ) as mae_relative_to_seasonal_naive,
    cast(
        rank() over (partition by entries.game_code, entries.unique_id order by entries.model_mae) as integer
    ) as mae_rank,
    entries.model_mae - entries.exact_best_mae as mae_above_exact_bound,
    case
        when entries.beats_chance
            then
                'better than chance: beats the best constant (Holm p = '
                || cast(round(cast(entries.p_holm as numeric), 4) as varchar) || ')'
        else
            'not better than chance (Holm p = '
            || cast(round(cast(entries.p_holm as numeric), 4) as varchar) || ')'
    end as verdict
from entries
left join slots on entries.unique_id = slots.unique_id
