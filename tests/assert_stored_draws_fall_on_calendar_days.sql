-- The calendar seeds reproduce history: every stored draw date is a scheduled draw day of its
-- game (weekday of its era, every n weeks from the era start, not a closure or a one-off skip).
with

draws as (
    select
        game_code,
        draw_no,
        draw_date
    from {{ ref('stg_raw__lottery_draws') }}
),

scheduled as (
    select distinct
        draws.game_code,
        draws.draw_no
    from draws
    {{ draw_calendar_joins('draws', 'draw_date') }}
    where {{ draw_calendar_is_open() }}
)

select draws.*
from draws
left join scheduled on draws.game_code = scheduled.game_code and draws.draw_no = scheduled.draw_no
where scheduled.game_code is null
