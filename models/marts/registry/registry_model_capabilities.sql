-- One row per env_key and model class: its class-scope capability flags, whether an Auto
-- counterpart exists, whether a probabilistic loss is accepted, and how many constructor
-- arguments (instance-scope rows) change a flag.
with

capabilities as (
    select * from {{ ref('stg_raw__registry_model_capabilities') }}
),

class_rows as (
    select * from capabilities
    where scope = 'class'
),

instance_rows as (
    select * from capabilities
    where scope = 'instance'
),

environments as (
    select * from {{ ref('stg_raw__registry_environments') }}
),

overrides as (
    select
        instance_rows.env_key,
        instance_rows.model_class,
        count(*) as instance_overrides
    from instance_rows
    inner join class_rows
        on
            instance_rows.env_key = class_rows.env_key
            and instance_rows.model_class = class_rows.model_class
    where
        instance_rows.exogenous_futr <> class_rows.exogenous_futr
        or instance_rows.exogenous_hist <> class_rows.exogenous_hist
        or instance_rows.exogenous_stat <> class_rows.exogenous_stat
        or instance_rows.exogenous_cat <> class_rows.exogenous_cat
        or instance_rows.multivariate <> class_rows.multivariate
        or instance_rows.recurrent <> class_rows.recurrent
        or instance_rows.can_build <> class_rows.can_build
    group by instance_rows.env_key, instance_rows.model_class
),

probabilistic as (
    select distinct
        model_losses.env_key,
        model_losses.model_class
    from {{ ref('stg_raw__registry_model_losses') }} as model_losses
    inner join {{ ref('stg_raw__registry_losses') }} as losses
        on
            model_losses.env_key = losses.env_key
            and model_losses.loss_class = losses.loss_class
            and model_losses.loss_variant = losses.loss_variant
    where
        model_losses.role = 'loss'
        and model_losses.accepted
        and losses.family in ('probabilistic_parametric', 'probabilistic_nonparametric')
)

select
    class_rows.env_key,
    class_rows.library,
    environments.library_version,
    class_rows.model_class,
    class_rows.exogenous_futr,
    class_rows.exogenous_hist,
    class_rows.exogenous_stat,
    class_rows.exogenous_cat,
    class_rows.multivariate,
    class_rows.recurrent,
    class_rows.auto_class,
    class_rows.can_build,
    class_rows.build_error,
    cast(case when class_rows.recurrent then 'recurrent' else 'direct' end as varchar) as forecasting_mode,
    cast(coalesce(overrides.instance_overrides, 0) as bigint) as instance_overrides,
    class_rows.auto_class <> '' as auto_available,
    probabilistic.model_class is not null as probabilistic_outputs_possible
from class_rows
left join environments on class_rows.env_key = environments.env_key
left join probabilistic
    on
        class_rows.env_key = probabilistic.env_key
        and class_rows.model_class = probabilistic.model_class
left join overrides
    on
        class_rows.env_key = overrides.env_key
        and class_rows.model_class = overrides.model_class
