select
    cast(env_key as varchar) as env_key,
    cast(library as varchar) as library,
    cast(symbol as varchar) as symbol,
    cast(parameter as varchar) as parameter,
    cast(position as integer) as position,  -- noqa: RF04
    cast(kind as varchar) as kind,
    cast(required as boolean) as required,
    cast(has_default as boolean) as has_default,
    cast(default_repr as varchar) as default_repr,
    cast(annotation as varchar) as annotation,
    cast(normalized_type as varchar) as normalized_type,
    cast(type_source as varchar) as type_source,
    cast(description as varchar) as description
from {{ source('raw', 'registry_parameters') }}
