select
    cast(game_code as varchar) as game_code,
    cast(unique_id as varchar) as unique_id,
    cast(slot_index as integer) as slot_index,
    cast(family as varchar) as game_family,
    cast(n_values as integer) as n_values,
    cast(value_min as integer) as value_min,
    cast(value_max as integer) as value_max,
    cast(median as integer) as slot_median,
    cast(mean as float8) as slot_mean,
    cast(exact_best_mae as float8) as exact_best_mae,
    cast(uniform_guess_mae as float8) as uniform_guess_mae,
    cast(entropy_bits as float8) as entropy_bits,
    cast(max_entropy_bits as float8) as max_entropy_bits,
    cast(computed_at as timestamp) as computed_at
from {{ source('raw', 'slot_chance_bounds') }}
