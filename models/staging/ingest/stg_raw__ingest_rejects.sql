select
    cast(subject as varchar) as subject,
    source_name,
    source_kind,
    file_hash,
    cast(source_row as bigint) as source_row,
    rule,
    message,
    original_record,
    loaded_at
from {{ source('raw', 'ingest_rejects') }}
