-- Observed model x loss compatibility (probes of the loss and valid_loss arguments) beside the declared
-- one (registry_model_losses), one row per env_key, model, loss class, variant and role. A probe's
-- value label is parsed into class and variant: DistributionLoss(distribution=Normal) gives
-- DistributionLoss and distribution=Normal; MQLoss gives MQLoss and ''. Over several probes of one
-- pair (model_init, fit, ...) the most severe outcome (seed probe_outcomes) stands for the pair;
-- every outcome whose call ran (ok, baseline, not_observable, unchanged, ignored) counts as runs.
with

outcomes as (
    select * from {{ ref('stg_reference__probe_outcomes') }}
),

loss_probes as (
    select
        probes.env_key,
        probes.probe_id,
        probes.model_class,
        probes.method,
        probes.argument as role,  -- noqa: RF04
        probes.outcome,
        probes.error_type,
        probes.error_message,
        probes.probed_at,
        outcomes.severity as outcome_severity,
        outcomes.runs as outcome_runs,
        trim(probes.value_label) as value_label,
        position('(' in trim(probes.value_label)) as paren_at
    from {{ ref('stg_raw__registry_probes') }} as probes
    inner join outcomes on probes.outcome = outcomes.outcome
    where probes.method <> 'plan' and probes.argument in ('loss', 'valid_loss')
),

parsed as (
    select
        *,
        cast(
            case
                when paren_at > 0 then trim(substr(value_label, 1, paren_at - 1))
                else value_label
            end as varchar
        ) as loss_class,
        cast(
            case
                when paren_at > 0 and right(value_label, 1) = ')'
                    then trim(substr(value_label, paren_at + 1, length(value_label) - paren_at - 1))
                when paren_at > 0 then trim(substr(value_label, paren_at + 1))
                else ''
            end as varchar
        ) as loss_variant
    from loss_probes
),

ranked as (
    select
        *,
        row_number() over (
            partition by env_key, model_class, loss_class, loss_variant, role
            order by outcome_severity desc, probed_at desc, probe_id asc
        ) as severity_rank,
        count(*) over (partition by env_key, model_class, loss_class, loss_variant, role) as n_probes
    from parsed
),

probed_methods as (
    select distinct
        env_key,
        model_class,
        loss_class,
        loss_variant,
        role,
        method
    from parsed
),

methods as (
    select
        env_key,
        model_class,
        loss_class,
        loss_variant,
        role,
        {{ dbt.listagg('method', "' | '", 'order by method') }} as observed_methods
    from probed_methods
    group by env_key, model_class, loss_class, loss_variant, role
),

observed as (
    select
        ranked.env_key,
        ranked.model_class,
        ranked.loss_class,
        ranked.loss_variant,
        ranked.role,
        ranked.outcome,
        ranked.n_probes,
        methods.observed_methods,
        ranked.outcome_runs as runs,
        case
            when ranked.error_type = '' then ranked.error_message
            when ranked.error_message = '' then ranked.error_type
            else ranked.error_type || ': ' || ranked.error_message
        end as error
    from ranked
    inner join methods
        on
            ranked.env_key = methods.env_key
            and ranked.model_class = methods.model_class
            and ranked.loss_class = methods.loss_class
            and ranked.loss_variant = methods.loss_variant
            and ranked.role = methods.role
    where ranked.severity_rank = 1
),

declared as (
    select
        env_key,
        model_class,
        loss_class,
        loss_variant,
        role,  -- noqa: RF04
        accepted,
        error
    from {{ ref('registry_model_losses') }}
),

compared as (
    select
        declared.accepted as declared_accepted,
        declared.error as declared_error,
        observed.outcome as observed_outcome,
        observed.error as observed_error,
        observed.runs as observed_runs,
        observed.observed_methods,
        coalesce(declared.env_key, observed.env_key) as env_key,
        coalesce(declared.model_class, observed.model_class) as model_class,
        coalesce(declared.loss_class, observed.loss_class) as loss_class,
        coalesce(declared.loss_variant, observed.loss_variant) as loss_variant,
        coalesce(declared.role, observed.role) as role,  -- noqa: RF04
        declared.model_class is not null as is_declared,
        observed.model_class is not null as is_observed,
        coalesce(observed.n_probes, 0) as n_probes
    from declared
    full outer join observed
        on
            declared.env_key = observed.env_key
            and declared.model_class = observed.model_class
            and declared.loss_class = observed.loss_class
            and declared.loss_variant = observed.loss_variant
            and declared.role = observed.role
)

select
    compared.env_key,
    compared.model_class,
    compared.loss_class,
    compared.loss_variant,
    compared.role,
    cast(
        case
            when compared.loss_variant = '' then compared.loss_class
            else compared.loss_class || '(' || compared.loss_variant || ')'
        end as varchar
    ) as loss_name,
    losses.family,
    compared.declared_accepted,
    compared.declared_error,
    compared.observed_outcome,
    compared.observed_error,
    compared.observed_runs,
    compared.observed_methods,
    cast(compared.n_probes as bigint) as n_probes,
    cast(
        case
            when not compared.is_declared then 'observed_only'
            when not compared.is_observed then 'declared_only'
            when compared.declared_accepted and compared.observed_runs then 'both_accept'
            when not compared.declared_accepted and not compared.observed_runs then 'both_refuse'
            when compared.declared_accepted then 'declared_accepts_but_fails'
            else 'declared_refuses_but_runs'
        end as varchar
    ) as agreement
from compared
left join {{ ref('registry_losses') }} as losses
    on
        compared.env_key = losses.env_key
        and compared.loss_class = losses.loss_class
        and compared.loss_variant = losses.loss_variant
