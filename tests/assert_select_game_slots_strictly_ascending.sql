-- Select games report numbers ascending without repeats: slot s+1 is larger than slot s.
with

slot_values as (
    select
        slot_values.game_code,
        slot_values.draw_no,
        slot_values.slot_index,
        slot_values.slot_value,
        lead(slot_values.slot_value) over (
            partition by slot_values.game_code, slot_values.draw_no order by slot_values.slot_index
        ) as next_slot_value
    from {{ ref('int_draw_slot_values') }} as slot_values
    inner join {{ ref('stg_reference__games') }} as games on slot_values.game_code = games.game_code
    where games.number_order = 'ascending'
)

select *
from slot_values
where next_slot_value is not null and next_slot_value <= slot_value
