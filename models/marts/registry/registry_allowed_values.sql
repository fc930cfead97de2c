-- Allowed values in long form: one row per env_key, symbol, parameter, value and source.
select
    allowed.env_key,
    allowed.library,
    environments.library_version,
    allowed.symbol,
    allowed.parameter,
    allowed.allowed_value,
    allowed.value_source,
    cast({{ dbt.split_part('allowed.value_source', "':'", 1) }} as varchar) as value_source_kind
from {{ ref('stg_raw__registry_allowed_values') }} as allowed
left join {{ ref('stg_raw__registry_environments') }} as environments
    on allowed.env_key = environments.env_key
