-- A plan row is rejected exactly when it has error-severity violations: the status, the reported count
-- and the recorded violation rows agree. A warning: it checks the validator's own bookkeeping.
{{ config(severity='warn') }}

select
    plan_id,
    env_key,
    status,
    violations,
    warnings,
    n_error_rows,
    n_warning_rows
from {{ ref('plan_validation_results') }}
where
    (status = 'rejected') <> (violations > 0)
    or violations <> n_error_rows
    or warnings <> n_warning_rows
