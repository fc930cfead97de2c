-- Everything ingestion kept aside: rejected rows (with rule) and conflicting re-statements.
select
    subject,
    source_name,
    source_kind,
    file_hash,
    source_row,
    cast('rejected' as varchar) as issue_kind,
    rule,
    message,
    loaded_at
from {{ ref('stg_raw__ingest_rejects') }}
union all
select
    game_code as subject,
    source_name,
    source_kind,
    file_hash,
    source_row,
    cast('conflict' as varchar) as issue_kind,
    cast('conflicting_restatement' as varchar) as rule,
    'draw #' || cast(draw_no as varchar) || ': ' || difference as message,
    loaded_at
from {{ ref('stg_raw__lottery_draw_conflicts') }}
