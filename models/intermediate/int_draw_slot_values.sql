-- One row per draw and slot: the k main numbers of each draw become k series <game>_N<s>.
with

draws as (
    select * from {{ ref('stg_raw__lottery_draws') }}
),

slots as (
    select * from {{ ref('stg_reference__slots') }}
)

select
    slots.unique_id,
    draws.game_code,
    slots.slot_index,
    draws.draw_no,
    draws.draw_date,
    {{ json_array_int('draws.numbers_json', 'slots.slot_index - 1') }} as slot_value
from draws
inner join slots on draws.game_code = slots.game_code
