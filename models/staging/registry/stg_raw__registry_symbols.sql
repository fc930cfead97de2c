select
    cast(env_key as varchar) as env_key,
    cast(library as varchar) as library,
    cast(symbol as varchar) as symbol,
    cast(module as varchar) as module,
    cast(qualname as varchar) as qualname,
    cast(kind as varchar) as kind,
    cast(parent_symbol as varchar) as parent_symbol,
    cast(is_public as boolean) as is_public,
    cast(summary as varchar) as summary,  -- noqa: RF04
    cast(import_error as varchar) as import_error
from {{ source('raw', 'registry_symbols') }}
