-- Bonus numbers stay here, one row per bonus ball; they are not forecast series.
with

draws as (
    select * from {{ ref('stg_raw__lottery_draws') }}
    where bonus_count > 0
),

positions as (
    select cast(generated_number as integer) as bonus_index
    from ({{ dbt.generate_series(16) }}) as series
)

select
    draws.game_code,
    draws.draw_no,
    draws.draw_date,
    positions.bonus_index,
    {{ json_array_int('draws.bonus_json', 'positions.bonus_index - 1') }} as bonus_number
from draws
inner join positions on draws.bonus_count >= positions.bonus_index
