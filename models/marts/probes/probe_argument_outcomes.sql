-- One row per env_key, model class, method, argument and value label of the probe matrix (plan
-- rehearsals are in probe_plan_rehearsals): what the library did with that argument value, in
-- the context it was probed in, and nothing more than was observed. Only the latest version of
-- the probe definitions of an env_key counts (older rows are superseded). When several probes
-- share the key, the most severe outcome (seed probe_outcomes) is kept, then the latest;
-- n_probes / n_probes_ok say how many there were.
with

outcomes as (
    select * from {{ ref('stg_reference__probe_outcomes') }}
),

library_probes as (
    select
        *,
        max(probe_version) over (partition by env_key) as latest_probe_version
    from {{ ref('stg_raw__registry_probes') }}
    where method <> 'plan'
),

probes as (
    select
        library_probes.*,
        outcomes.severity as outcome_severity,
        outcomes.verdict as outcome_verdict
    from library_probes
    inner join outcomes on library_probes.outcome = outcomes.outcome
    where coalesce(library_probes.probe_version, '') = coalesce(library_probes.latest_probe_version, '')
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
    question,
    outcome,
    outcome_reason,
    observed_differences,
    error_type,
    error_message,
    library_warnings,
    duration_seconds,
    output_rows,
    max_abs_diff_from_baseline,
    tolerance,
    series_count,
    series_length,
    horizon,
    input_size,
    max_steps,
    windows_batch_size,
    loss_label,
    valid_loss_label,
    val_size,
    exogenous_kinds,
    context_label,
    probed_at,
    cast(n_probes as bigint) as n_probes,
    cast(n_probes_ok as bigint) as n_probes_ok,
    cast(
        case
            when outcome = 'raised' and error_type <> '' then outcome_verdict || ': ' || error_type
            when outcome = 'ok' and observed_differences <> '' then 'runs; changes ' || observed_differences
            when outcome_reason <> '' and outcome not in ('ok', 'baseline')
                then outcome_verdict || ': ' || outcome_reason
            else outcome_verdict
        end as varchar
    ) as verdict,
    argument = '' as is_baseline
from ranked
where severity_rank = 1
