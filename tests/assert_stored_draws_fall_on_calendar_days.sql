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
    inner join {{ ref('draw_calendar_weekdays') }} as weekdays
        on
            draws.game_code = weekdays.game_code
            and draws.draw_date >= weekdays.era_from
            and (weekdays.era_to is null or draws.draw_date <= weekdays.era_to)
            and cast(extract(isodow from draws.draw_date) as integer) = weekdays.iso_weekday
            and mod(
                cast(floor({{ days_between('weekdays.era_from', 'draws.draw_date') }} / 7.0) as integer),
                weekdays.every_n_weeks
            ) = 0
    left join {{ ref('draw_calendar_closures') }} as closures
        on draws.game_code = closures.game_code and {{ month_day('draws.draw_date') }} = closures.month_day
    left join {{ ref('draw_calendar_skips') }} as skips
        on draws.game_code = skips.game_code and draws.draw_date = skips.skip_date
    where closures.game_code is null and skips.game_code is null
)

select draws.*
from draws
left join scheduled on draws.game_code = scheduled.game_code and draws.draw_no = scheduled.draw_no
where scheduled.game_code is null
