-- One row per plan rehearsal (a probe of kind plan): the combination a real plan row used (model,
-- dataset, series, losses, horizon, its exact arguments) and what happened when it ran one training
-- step on the trainer's own path, on its real data: the stage it failed in, the exception and its
-- message. The registry learns from plans: these are the probes of the arguments real plans use.
with

rehearsals as (
    select * from {{ ref('stg_raw__registry_probes') }}
    where method = 'plan'
),

plans as (
    select * from {{ ref('stg_raw__run_plans') }}
)

select
    rehearsals.env_key,
    rehearsals.probe_id,
    rehearsals.argument as plan_id,
    rehearsals.value_label as run_name,
    plans.plan_name,
    rehearsals.model_class,
    plans.dataset,
    plans.series_selector,
    plans.loss_class,
    plans.valid_loss_class,
    plans.horizon,
    plans.backend,
    rehearsals.outcome,
    rehearsals.failed_stage,
    rehearsals.error_type,
    rehearsals.error_message,
    rehearsals.duration_seconds,
    rehearsals.output_rows,
    rehearsals.spec_json as rehearsed_spec_json,
    rehearsals.probed_at,
    cast(
        case rehearsals.outcome
            when 'ok' then 'trains'
            when 'raised' then 'fails in ' || rehearsals.failed_stage || ': ' || rehearsals.error_type
            when 'ignored' then 'runs but ignores what it asks for'
            when 'nan_output' then 'produces NaN'
            when 'timeout' then 'times out'
            when 'crashed' then 'crashes the process'
        end as varchar
    ) as verdict
from rehearsals
left join plans on rehearsals.argument = plans.plan_id
