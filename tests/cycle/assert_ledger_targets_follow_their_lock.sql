-- A locked forecast is of a later draw than every draw known when it was locked.
select
    game_code,
    ledger_sequence,
    last_known_ds,
    target_ds
from {{ ref('stg_raw__forecast_ledger') }}
where target_ds <= last_known_ds or horizon_step <> target_ds - last_known_ds
