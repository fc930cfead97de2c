select
    slots.game_code,
    slots.slot_index,
    slots.slot_name,
    slots.slot_min,
    slots.slot_max,
    slots.game_code || '_' || slots.slot_name as unique_id
from {{ ref('slots') }} as slots
