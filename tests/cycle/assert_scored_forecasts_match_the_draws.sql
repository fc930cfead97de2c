-- Every prospective score compares the locked forecast with the value that was actually drawn.
select
    scores.game_code,
    scores.ledger_sequence
from {{ ref('prospective_scores') }} as scores
left join {{ ref('fct_series_long') }} as series
    on scores.unique_id = series.unique_id and scores.target_ds = series.ds
left join {{ ref('stg_raw__forecast_ledger') }} as ledger
    on scores.game_code = ledger.game_code and scores.ledger_sequence = ledger.ledger_sequence
where series.y is null or series.y <> scores.y or ledger.y_hat <> scores.y_hat
