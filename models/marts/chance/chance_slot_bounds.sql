-- Per game slot, what chance gives: the exact best achievable expected MAE (the median guess under
-- i.i.d. draws of the game geometry), the expected MAE of a uniform random guess, and entropies.
select
    bounds.game_code,
    bounds.unique_id,
    bounds.slot_index,
    bounds.game_family,
    bounds.n_values,
    bounds.value_min,
    bounds.value_max,
    bounds.slot_median,
    bounds.slot_mean,
    bounds.exact_best_mae,
    bounds.uniform_guess_mae,
    bounds.entropy_bits,
    bounds.max_entropy_bits,
    bounds.computed_at
from {{ ref('stg_raw__slot_chance_bounds') }} as bounds
