-- noqa: disable=LT02
-- One row per instance-scope capability row and flag whose value differs from the model's class
-- value: passing argument=argument_value turns the flag from class_value to instance_value.
{%- set flags = ['exogenous_futr', 'exogenous_hist', 'exogenous_stat', 'exogenous_cat',
                 'multivariate', 'recurrent', 'can_build'] %}
with

capabilities as (
    select * from {{ ref('stg_raw__registry_model_capabilities') }}
),

environments as (
    select * from {{ ref('stg_raw__registry_environments') }}
),

paired as (
    select
        instance_rows.env_key,
        instance_rows.library,
        instance_rows.model_class,
        instance_rows.argument,
        instance_rows.argument_value,
        {%- for flag in flags %}
        class_rows.{{ flag }} as class_{{ flag }},
        instance_rows.{{ flag }} as instance_{{ flag }}{{ ',' if not loop.last }}
        {%- endfor %}
    from capabilities as instance_rows
    inner join capabilities as class_rows
        on
            instance_rows.env_key = class_rows.env_key
            and instance_rows.model_class = class_rows.model_class
            and class_rows.scope = 'class'
    where instance_rows.scope = 'instance'
),

changed_flags as (
    {%- for flag in flags %}
    select
        env_key,
        library,
        model_class,
        argument,
        argument_value,
        cast('{{ flag }}' as varchar) as flag,
        class_{{ flag }} as class_value,
        instance_{{ flag }} as instance_value
    from paired
    where class_{{ flag }} <> instance_{{ flag }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
)

select
    changed_flags.env_key,
    changed_flags.library,
    environments.library_version,
    changed_flags.model_class,
    changed_flags.argument,
    changed_flags.argument_value,
    changed_flags.flag,
    changed_flags.class_value,
    changed_flags.instance_value
from changed_flags
left join environments on changed_flags.env_key = environments.env_key
