-- Every series in neuralforecast's long format: the lottery slots and the uploaded panels.
with

lottery as (
    select
        unique_id,
        cast(draw_no as bigint) as ds,
        cast(slot_value as float8) as y,
        draw_date,
        cast('lottery' as varchar) as dataset_name,
        game_code,
        slot_index
    from {{ ref('int_draw_slot_values') }}
),

panels as (
    select
        unique_id,
        ds,
        y,
        ds_date as draw_date,
        dataset_name,
        cast(null as varchar) as game_code,
        cast(null as integer) as slot_index
    from {{ ref('stg_raw__panel_observations') }}
)

select * from lottery
union all
select * from panels
