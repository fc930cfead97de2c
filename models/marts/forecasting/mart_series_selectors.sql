-- Per game, the k single-slot selectors and the all-slot selector, one row per member series.
with

slots as (
    select * from {{ ref('stg_reference__slots') }}
),

games as (
    select * from {{ ref('stg_reference__games') }}
),

single_slot as (
    select
        slots.game_code,
        slots.slot_name as selector_name,
        cast('single_slot' as varchar) as selector_kind,
        slots.unique_id,
        slots.slot_index,
        cast(1 as integer) as n_series
    from slots
),

all_slots as (
    select
        slots.game_code,
        cast('all' as varchar) as selector_name,
        cast('all_slots' as varchar) as selector_kind,
        slots.unique_id,
        slots.slot_index,
        games.main_count as n_series
    from slots
    inner join games on slots.game_code = games.game_code
)

select * from single_slot
union all
select * from all_slots
