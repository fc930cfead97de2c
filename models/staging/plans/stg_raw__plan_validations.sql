select
    cast(plan_id as varchar) as plan_id,
    cast(env_key as varchar) as env_key,
    cast(status as varchar) as status,
    cast(violations as integer) as violations,
    cast(warnings as integer) as warnings,
    cast(validated_at as timestamp) as validated_at
from {{ source('raw', 'plan_validations') }}
