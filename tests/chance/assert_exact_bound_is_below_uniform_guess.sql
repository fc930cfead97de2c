-- The exact best achievable MAE of a slot never exceeds a uniform guess's, and its median lies in range.
select
    unique_id,
    exact_best_mae,
    uniform_guess_mae,
    slot_median,
    value_min,
    value_max
from {{ ref('chance_slot_bounds') }}
where
    exact_best_mae > uniform_guess_mae
    or slot_median < value_min
    or slot_median > value_max
