select
    cast(env_key as varchar) as env_key,
    cast(library as varchar) as library,
    cast(symbol as varchar) as symbol,
    cast(parameter as varchar) as parameter,
    cast(allowed_value as varchar) as allowed_value,
    cast(value_source as varchar) as value_source
from {{ source('raw', 'registry_allowed_values') }}
