-- Locked forecasts against the draws that came later, in draw order per sequence (plan row, series, horizon
-- step): each error beside chance on the same draw, and the sequence's cumulative MAEs, its anytime-valid
-- confidence sequence and e-value so far. Computed by `fcast cycle` (python/fcast/cycle/prospective.py).
with

scores as (
    select * from {{ ref('stg_raw__prospective_scores') }}
),

slots as (
    select * from {{ ref('stg_reference__slots') }}
)

select
    scores.game_code,
    scores.ledger_sequence,
    scores.plan_id,
    scores.run_name,
    scores.model_name,
    scores.unique_id,
    slots.slot_index,
    scores.horizon_step,
    scores.target_ds,
    scores.target_date,
    scores.y,
    scores.y_hat,
    scores.abs_error,
    scores.best_constant,
    scores.best_constant_error,
    scores.seasonal_naive,
    scores.seasonal_naive_error,
    scores.uniform_guess_error,
    scores.exact_best_mae,
    scores.n_scored,
    scores.cumulative_mae,
    scores.cumulative_best_constant_mae,
    scores.cumulative_seasonal_naive_mae,
    scores.cumulative_uniform_guess_mae,
    cast(
        case
            when scores.cumulative_seasonal_naive_mae > 0
                then scores.cumulative_mae / scores.cumulative_seasonal_naive_mae
        end as float8
    ) as mae_relative_to_seasonal_naive,
    scores.cs_lower,
    scores.cs_upper,
    scores.cs_alpha,
    scores.e_value,
    scores.e_value_max,
    scores.scored_at
from scores
left join slots on scores.unique_id = slots.unique_id
