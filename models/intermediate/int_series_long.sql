-- Every series in neuralforecast's long format: the lottery slots and the uploaded panels.
-- dataset is the game code of a lottery series and the panel name of a panel series; dataset_kind says
-- which (game or panel), and game_code is set for lottery series only.
-- ds is the position on the dataset's time axis (the draw number of a game); ds_time its timestamp.
with

lottery as (
    select
        unique_id,
        cast(draw_no as bigint) as ds,
        cast(slot_value as float8) as y,
        draw_date,
        cast(draw_date as timestamp) as ds_time,
        cast('' as varchar) as filled_by,
        cast(game_code as varchar) as dataset,
        cast('game' as varchar) as dataset_kind,
        game_code,
        slot_index
    from {{ ref('int_draw_slot_values') }}
),

panels as (
    select
        unique_id,
        ds,
        y,
        cast(ds_time as date) as draw_date,
        ds_time,
        filled_by,
        dataset,
        cast('panel' as varchar) as dataset_kind,
        cast(null as varchar) as game_code,
        cast(null as integer) as slot_index
    from {{ ref('stg_raw__panel_observations') }}
)

select * from lottery
union all
select * from panels
