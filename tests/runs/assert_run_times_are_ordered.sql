-- created <= start <= end <= updated; a finished run has an end and a duration; FAILED runs say why.
select
    run_id,
    status,
    created_at,
    start_time,
    end_time,
    updated_at
from {{ ref('run_history') }}
where
    start_time < created_at
    or end_time < start_time
    or updated_at < created_at
    or (status in ('COMPLETED', 'FAILED') and end_time is null)
    or (status = 'COMPLETED' and duration_seconds is null)
    or (status = 'FAILED' and error_type = '')
