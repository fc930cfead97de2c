select
    cast(env_key as varchar) as env_key,
    cast(library as varchar) as library,
    cast(auto_class as varchar) as auto_class,
    cast(model_class as varchar) as model_class,
    cast(backend as varchar) as backend,
    cast(parameter as varchar) as parameter,
    cast(sampler as varchar) as sampler,
    cast(spec_json as varchar) as spec_json
from {{ source('raw', 'registry_search_spaces') }}
