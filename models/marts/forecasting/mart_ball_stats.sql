-- Per game and ball number (every number of the range): how often and how recently it was drawn.
with

games as (
    select * from {{ ref('stg_reference__games') }}
),

numbers as (
    select cast(generated_number as integer) - 1 as ball_offset
    from ({{ dbt.generate_series(1000) }}) as series
),

balls as (
    select
        games.game_code,
        games.main_count,
        games.game_size,
        games.number_min + numbers.ball_offset as ball_number
    from games
    inner join numbers on games.game_size > numbers.ball_offset
),

main_draws as (
    select
        game_code,
        slot_value as ball_number,
        count(*) as times_drawn,
        max(draw_no) as last_drawn_draw_no
    from {{ ref('int_draw_slot_values') }}
    group by game_code, slot_value
),

bonus_draws as (
    select
        game_code,
        bonus_number as ball_number,
        count(*) as times_bonus
    from {{ ref('stg_raw__lottery_draw_bonus') }}
    group by game_code, bonus_number
),

draw_totals as (
    select
        game_code,
        count(*) as draws,
        max(draw_no) as last_draw_no
    from {{ ref('stg_raw__lottery_draws') }}
    group by game_code
)

select  -- noqa: ST06
    balls.game_code,
    balls.ball_number,
    cast(draw_totals.draws as bigint) as draws,
    cast(coalesce(main_draws.times_drawn, 0) as bigint) as times_drawn,
    cast(coalesce(bonus_draws.times_bonus, 0) as bigint) as times_bonus,
    cast(coalesce(main_draws.times_drawn, 0) as float8)
    / cast(draw_totals.draws as float8) as draw_frequency,
    -- Every game draws main_count balls per draw, each value equally likely by design.
    cast(balls.main_count as float8) / cast(balls.game_size as float8) as expected_frequency,
    cast(main_draws.last_drawn_draw_no as bigint) as last_drawn_draw_no,
    cast(draw_totals.last_draw_no - main_draws.last_drawn_draw_no as bigint) as draws_since_drawn
from balls
inner join draw_totals on balls.game_code = draw_totals.game_code
left join main_draws
    on balls.game_code = main_draws.game_code and balls.ball_number = main_draws.ball_number
left join bonus_draws
    on balls.game_code = bonus_draws.game_code and balls.ball_number = bonus_draws.ball_number
