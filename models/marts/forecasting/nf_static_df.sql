-- The stat_ features: numeric, one row per lottery series; neuralforecast's static_df.
select
    slots.unique_id,
    cast(slots.slot_index as float8) as stat_slot_index,
    cast(slots.slot_min as float8) as stat_slot_min,
    cast(slots.slot_max as float8) as stat_slot_max,
    cast(games.family_code as float8) as stat_family_code,
    cast(games.game_size as float8) as stat_game_size,
    cast(games.main_count as float8) as stat_main_count
from {{ ref('stg_reference__slots') }} as slots
inner join {{ ref('stg_reference__games') }} as games on slots.game_code = games.game_code
