-- neuralforecast's long format: one row per series and draw (ds = draw number, freq=1).
select
    unique_id,
    ds,
    y,
    draw_date,
    dataset_name,
    game_code,
    slot_index
from {{ ref('int_series_long') }}
