-- Every violation found in a plan row, with the plan's name, the run's name and model class beside it.
select
    violations.plan_id,
    violations.env_key,
    plan_rows.plan_name,
    plan_rows.row_index,
    plan_rows.run_name,
    plan_rows.model_class,
    violations.rule,
    violations.field,
    violations.severity,
    violations.message,
    violations.suggestion,
    violations.evidence_kind,
    violations.evidence
from {{ ref('stg_raw__plan_violations') }} as violations
left join {{ ref('stg_raw__run_plans') }} as plan_rows
    on violations.plan_id = plan_rows.plan_id
