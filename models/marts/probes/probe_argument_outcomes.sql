-- One row per env_key, model class, method, argument and value label of the probe matrix (plan
-- rehearsals are in probe_plan_rehearsals): what the library did with that
-- argument value, in plain words. When several probes share the key (different data variants), the
-- most severe outcome is kept (crashed, timeout, raised, nan_output, ignored, ok; then the latest),
-- and n_probes / n_probes_ok say how many there were.
with

probes as (
    select
        *,
        {{ probe_outcome_severity('outcome') }} as outcome_severity
    from {{ ref('stg_raw__registry_probes') }}
    where method <> 'plan'
),

ranked as (
    select
        *,
        row_number() over (
            partition by env_key, model_class, method, argument, value_label
            order by outcome_severity desc, probed_at desc, probe_id asc
        ) as severity_rank,
        count(*) over (
            partition by env_key, model_class, method, argument, value_label
        ) as n_probes,
        sum(case when outcome = 'ok' then 1 else 0 end) over (
            partition by env_key, model_class, method, argument, value_label
        ) as n_probes_ok
    from probes
)

select
    env_key,
    library,
    model_class,
    method,
    argument,
    value_label,
    probe_id,
    baseline_probe_id,
    outcome,
    error_type,
    error_message,
    duration_seconds,
    output_rows,
    max_abs_diff_from_baseline,
    tolerance,
    probed_at,
    cast(n_probes as bigint) as n_probes,
    cast(n_probes_ok as bigint) as n_probes_ok,
    cast(
        case outcome
            when 'ok' then 'runs'
            when 'raised' then case when error_type = '' then 'raises' else 'raises: ' || error_type end
            when 'ignored' then 'ignored (no effect)'
            when 'nan_output' then 'produces NaN'
            when 'timeout' then 'times out'
            when 'crashed' then 'crashes the process'
        end as varchar
    ) as verdict,
    argument = '' as is_baseline
from ranked
where severity_rank = 1
