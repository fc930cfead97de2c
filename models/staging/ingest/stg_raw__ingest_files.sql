select
    file_hash,
    cast(subject as varchar) as subject,
    source_name,
    source_kind,
    cast(records_read as bigint) as records_read,
    cast(rows_added as bigint) as rows_added,
    cast(rows_already_known as bigint) as rows_already_known,
    cast(rows_rejected as bigint) as rows_rejected,
    cast(rows_conflicting as bigint) as rows_conflicting,
    loaded_at
from {{ source('raw', 'ingest_files') }}
