-- One row per plan row and environment it was validated against: the plan row's fields beside its
-- validation status, the counts the validator reported and the violation rows recorded.
with

violation_counts as (
    select
        plan_id,
        env_key,
        sum(case when severity = 'error' then 1 else 0 end) as n_error_rows,
        sum(case when severity = 'warning' then 1 else 0 end) as n_warning_rows
    from {{ ref('stg_raw__plan_violations') }}
    group by plan_id, env_key
)

select
    validations.plan_id,
    validations.env_key,
    plan_rows.plan_name,
    plan_rows.plan_source,
    plan_rows.row_index,
    plan_rows.run_name,
    plan_rows.dataset,
    plan_rows.series_selector,
    plan_rows.model_class,
    plan_rows.loss_class,
    plan_rows.valid_loss_class,
    plan_rows.horizon,
    plan_rows.backend,
    plan_rows.spec_json,
    plan_rows.created_at,
    validations.status,
    validations.violations,
    validations.warnings,
    validations.validated_at,
    cast(coalesce(violation_counts.n_error_rows, 0) as bigint) as n_error_rows,
    cast(coalesce(violation_counts.n_warning_rows, 0) as bigint) as n_warning_rows,
    validations.status = 'valid' as is_valid
from {{ ref('stg_raw__plan_validations') }} as validations
left join {{ ref('stg_raw__run_plans') }} as plan_rows
    on validations.plan_id = plan_rows.plan_id
left join violation_counts
    on
        validations.plan_id = violation_counts.plan_id
        and validations.env_key = violation_counts.env_key
