select
    cast(outcome as varchar) as outcome,
    cast(severity as integer) as severity,
    cast(runs as boolean) as runs,
    cast(verdict as varchar) as verdict,
    cast(doc as varchar) as doc
from {{ ref('probe_outcomes') }}
