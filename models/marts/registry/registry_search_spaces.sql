-- Default search spaces of the Auto models: one row per env_key, Auto class, backend and parameter.
select
    spaces.env_key,
    spaces.library,
    environments.library_version,
    spaces.auto_class,
    spaces.model_class,
    spaces.backend,
    spaces.parameter,
    spaces.sampler,
    spaces.spec_json
from {{ ref('stg_raw__registry_search_spaces') }} as spaces
left join {{ ref('stg_raw__registry_environments') }} as environments
    on spaces.env_key = environments.env_key
