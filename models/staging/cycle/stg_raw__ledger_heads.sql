select
    cast(game_code as varchar) as game_code,
    cast(sequence as integer) as ledger_sequence,
    cast(entry_hash as varchar) as entry_hash,
    cast(updated_at as timestamp) as updated_at
from {{ source('raw', 'ledger_heads') }}
