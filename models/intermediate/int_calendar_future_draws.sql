-- The next draws of every active game after its last stored draw, from the calendar seeds alone.
{%- set max_horizon = var('futr_max_horizon') %}
{#- Enough days for max_horizon draws of the sparsest schedule (every other week) plus closures. -#}
{%- set days_ahead = max_horizon * 14 + 21 %}
with

last_draws as (
    select
        game_code,
        max(draw_no) as last_draw_no,
        max(draw_date) as last_draw_date
    from {{ ref('stg_raw__lottery_draws') }}
    group by game_code
),

active_games as (
    select last_draws.*
    from last_draws
    inner join {{ ref('stg_reference__games') }} as games on last_draws.game_code = games.game_code
    where games.active_to is null or games.active_to > last_draws.last_draw_date
),

day_offsets as (
    select cast(generated_number as integer) as day_offset
    from ({{ dbt.generate_series(days_ahead) }}) as series
),

candidate_days as (
    select
        active_games.game_code,
        active_games.last_draw_no,
        active_games.last_draw_date,
        active_games.last_draw_date + day_offsets.day_offset as draw_date
    from active_games
    cross join day_offsets
),

scheduled_days as (
    select candidate_days.*
    from candidate_days
    {{ draw_calendar_joins('candidate_days', 'draw_date') }}
    inner join {{ ref('stg_reference__games') }} as games
        on candidate_days.game_code = games.game_code
    where
        {{ draw_calendar_is_open() }}
        and (games.active_to is null or candidate_days.draw_date <= games.active_to)
),

numbered as (
    select
        game_code,
        last_draw_date,
        draw_date,
        cast(row_number() over (partition by game_code order by draw_date) as integer) as horizon_step,
        last_draw_no
    from scheduled_days
)

select
    game_code,
    horizon_step,
    cast(last_draw_no + horizon_step as bigint) as draw_no,
    draw_date,
    coalesce(
        lag(draw_date) over (partition by game_code order by draw_date), last_draw_date
    ) as previous_draw_date
from numbered
where horizon_step <= {{ max_horizon }}
