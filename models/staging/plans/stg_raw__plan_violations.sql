select
    cast(plan_id as varchar) as plan_id,
    cast(env_key as varchar) as env_key,
    cast(rule as varchar) as rule,
    cast(field as varchar) as field,
    cast(severity as varchar) as severity,
    cast(message as varchar) as message,
    cast(suggestion as varchar) as suggestion,
    cast(evidence_kind as varchar) as evidence_kind,
    cast(evidence as varchar) as evidence
from {{ source('raw', 'plan_violations') }}
