-- An instance-scope capability row (argument=value) only makes sense beside the class-scope row of
-- its model: the overrides are computed against it.
select
    instance_rows.env_key,
    instance_rows.model_class,
    instance_rows.argument,
    instance_rows.argument_value
from {{ ref('stg_raw__registry_model_capabilities') }} as instance_rows
left join {{ ref('registry_model_capabilities') }} as class_rows
    on
        instance_rows.env_key = class_rows.env_key
        and instance_rows.model_class = class_rows.model_class
where
    instance_rows.scope = 'instance'
    and class_rows.model_class is null
