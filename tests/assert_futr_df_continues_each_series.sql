-- futr_df holds exactly futr_max_horizon draws per active series, numbered on from the last
-- stored draw, dated after it, one per step.
with

last_draws as (
    select
        unique_id,
        max(ds) as last_ds,
        max(draw_date) as last_draw_date
    from {{ ref('fct_series_long') }}
    where dataset_kind = 'game'
    group by unique_id
),

future as (
    select
        unique_id,
        count(*) as future_rows,
        min(ds) as first_ds,
        max(ds) as final_ds,
        min(draw_date) as first_date
    from {{ ref('nf_futr_df') }}
    group by unique_id
)

select
    last_draws.*,
    future.*
from last_draws
inner join {{ ref('stg_reference__slots') }} as slots on last_draws.unique_id = slots.unique_id
inner join {{ ref('stg_reference__games') }} as games on slots.game_code = games.game_code
left join future on last_draws.unique_id = future.unique_id
where
    (games.active_to is null or games.active_to > last_draws.last_draw_date)
    and (
        future.unique_id is null
        or future.future_rows != {{ var('futr_max_horizon') }}
        or future.first_ds != last_draws.last_ds + 1
        or future.final_ds != last_draws.last_ds + {{ var('futr_max_horizon') }}
        or future.first_date <= last_draws.last_draw_date
    )
