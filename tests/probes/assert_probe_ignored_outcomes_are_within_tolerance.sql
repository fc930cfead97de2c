-- An argument judged ignored must have been compared with its baseline, and its output must lie within
-- the tolerance of the baseline's. A warning: it checks the prober's own judgement.
{{ config(severity='warn') }}

select
    env_key,
    probe_id,
    model_class,
    method,
    argument,
    value_label,
    max_abs_diff_from_baseline,
    tolerance
from {{ ref('stg_raw__registry_probes') }}
where
    probe_kind = 'library'
    and outcome = 'ignored'
    and (
        baseline_probe_id = ''
        or max_abs_diff_from_baseline is null
        or max_abs_diff_from_baseline > tolerance
    )
