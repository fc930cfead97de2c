-- Every locked forecast, with its outcome once the target draw has arrived: the ledger as people read it.
with

ledger as (
    select * from {{ ref('stg_raw__forecast_ledger') }}
),

scores as (
    select * from {{ ref('stg_raw__prospective_scores') }}
),

slots as (
    select * from {{ ref('stg_reference__slots') }}
)

select
    ledger.game_code,
    ledger.ledger_sequence,
    ledger.run_id,
    ledger.artifact_id,
    ledger.files_hash,
    ledger.plan_id,
    ledger.run_name,
    ledger.model_name,
    ledger.unique_id,
    slots.slot_index,
    ledger.last_known_ds,
    ledger.target_ds,
    ledger.target_date,
    ledger.horizon_step,
    ledger.y_hat,
    ledger.intervals_json,
    ledger.locked_at,
    ledger.previous_hash,
    ledger.entry_hash,
    scores.y,
    scores.abs_error,
    scores.scored_at,
    cast(case when scores.ledger_sequence is null then 'awaiting draw' else 'scored' end as varchar) as forecast_status
from ledger
left join scores
    on ledger.game_code = scores.game_code and ledger.ledger_sequence = scores.ledger_sequence
left join slots on ledger.unique_id = slots.unique_id
