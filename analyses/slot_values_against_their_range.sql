-- For reference: how each lottery slot's observed mean compares with the middle of its range.
-- Select-game slots are order statistics, so their means differ from the range midpoint even
-- for perfectly random draws: compare models with chance, never with the midpoint.
select
    series.unique_id,
    slots.slot_min,
    slots.slot_max,
    count(*) as draws,
    avg(series.y) as observed_mean,
    (slots.slot_min + slots.slot_max) / 2.0 as range_midpoint
from {{ ref('fct_series_long') }} as series
inner join {{ ref('stg_reference__slots') }} as slots on series.unique_id = slots.unique_id
group by series.unique_id, slots.slot_min, slots.slot_max
order by series.unique_id
