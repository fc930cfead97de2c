-- neuralforecast's long format: one row per series and time step (games: ds = draw number, freq=1;
-- panels: ds = the position on the dataset's time axis, ds_time its timestamp when it has dates).
select
    unique_id,
    ds,
    y,
    draw_date,
    ds_time,
    filled_by,
    dataset,
    dataset_kind,
    game_code,
    slot_index
from {{ ref('int_series_long') }}
