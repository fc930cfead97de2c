-- fut_ features of every stored draw: calendar facts known before the draw takes place.
with

draws as (
    select distinct
        game_code,
        draw_no,
        draw_date
    from {{ ref('int_draw_slot_values') }}
),

with_previous as (
    select
        game_code,
        draw_no,
        draw_date,
        lag(draw_date) over (partition by game_code order by draw_no) as previous_draw_date
    from draws
)

select
    slots.unique_id,
    with_previous.draw_no as ds,
    {{ fut_calendar_features('with_previous.draw_date', 'with_previous.previous_draw_date',
                             'with_previous.draw_no') }}
from with_previous
inner join {{ ref('stg_reference__slots') }} as slots on with_previous.game_code = slots.game_code
