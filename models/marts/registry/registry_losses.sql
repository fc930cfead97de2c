-- The loss catalogue: one row per env_key, loss class and variant, with how many models accept it.
with

losses as (
    select * from {{ ref('stg_raw__registry_losses') }}
),

environments as (
    select * from {{ ref('stg_raw__registry_environments') }}
),

acceptance as (
    select
        env_key,
        loss_class,
        loss_variant,
        sum(case when role = 'loss' and accepted then 1 else 0 end) as n_models_accepting,
        sum(case when role = 'valid_loss' and accepted then 1 else 0 end) as n_models_accepting_as_valid_loss
    from {{ ref('stg_raw__registry_model_losses') }}
    group by env_key, loss_class, loss_variant
)

select
    losses.env_key,
    losses.library,
    environments.library_version,
    losses.loss_class,
    losses.loss_variant,
    losses.family,
    losses.outputs,
    losses.output_names,
    losses.is_distribution_output,
    losses.can_build,
    losses.build_error,
    losses.trainable,
    losses.training_error,
    cast(
        case
            when losses.loss_variant = '' then losses.loss_class
            else losses.loss_class || '(' || losses.loss_variant || ')'
        end as varchar
    ) as loss_name,
    cast(coalesce(acceptance.n_models_accepting, 0) as bigint) as n_models_accepting,
    cast(coalesce(acceptance.n_models_accepting_as_valid_loss, 0) as bigint) as n_models_accepting_as_valid_loss,
    losses.family <> 'point' as is_probabilistic
from losses
left join environments on losses.env_key = environments.env_key
left join acceptance
    on
        losses.env_key = acceptance.env_key
        and losses.loss_class = acceptance.loss_class
        and losses.loss_variant = acceptance.loss_variant
