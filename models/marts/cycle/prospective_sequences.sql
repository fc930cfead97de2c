-- Per sequence (plan row, series, horizon step) its state after the latest scored draw, and the verdict.
-- A sequence beats chance only when its e-value has reached n_sequences / alpha (Bonferroni over every
-- sequence of the game; by Ville's inequality a true null ever reaches it with probability at most alpha,
-- however often it is looked at). The confidence sequence is for this one sequence, at level 1 - alpha.
with

scores as (
    select * from {{ ref('prospective_scores') }}
),

latest as (
    select
        *,
        row_number() over (
            partition by game_code, plan_id, unique_id, horizon_step order by target_ds desc
        ) as recency
    from scores
),

sequences as (
    select
        *,
        count(*) over (partition by game_code) as n_sequences
    from latest
    where recency = 1
)

select
    game_code,
    plan_id,
    run_name,
    model_name,
    unique_id,
    slot_index,
    horizon_step,
    n_scored,
    target_ds as latest_target_ds,
    target_date as latest_target_date,
    cumulative_mae,
    cumulative_best_constant_mae,
    cumulative_seasonal_naive_mae,
    cumulative_uniform_guess_mae,
    exact_best_mae,
    mae_relative_to_seasonal_naive,
    cs_lower,
    cs_upper,
    cs_alpha,
    e_value,
    e_value_max,
    cast(n_sequences as integer) as n_sequences,
    cast(n_sequences / cs_alpha as float8) as e_value_threshold,
    cast(
        case
            when e_value_max >= n_sequences / cs_alpha
                then
                    'beats chance after ' || cast(n_scored as varchar) || ' draws (e-value '
                    || cast(round(cast(e_value_max as numeric), 1) as varchar) || ' >= '
                    || cast(round(cast(n_sequences / cs_alpha as numeric), 1) as varchar) || ')'
            else
                'not better than chance after ' || cast(n_scored as varchar) || ' draws (MAE '
                || cast(round(cast(cumulative_mae as numeric), 2) as varchar) || ', exact bound '
                || cast(round(cast(exact_best_mae as numeric), 2) as varchar) || ')'
        end as varchar
    ) as verdict,
    coalesce(e_value_max >= n_sequences / cs_alpha, false) as beats_chance
from sequences
