-- futr_df: the next draws of every lottery series (up to var futr_max_horizon) with their fut_
-- features, from the calendar seeds, never from outcomes.
with

future_draws as (
    select * from {{ ref('int_calendar_future_draws') }}
)

select
    slots.unique_id,
    future_draws.draw_no as ds,
    future_draws.draw_date,
    future_draws.horizon_step,
    {{ fut_calendar_features('future_draws.draw_date', 'future_draws.previous_draw_date',
                             'future_draws.draw_no') }}
from future_draws
inner join {{ ref('stg_reference__slots') }} as slots on future_draws.game_code = slots.game_code
