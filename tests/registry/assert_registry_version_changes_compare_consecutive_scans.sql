-- Every version change goes forward between two scanned environments of the same library.
select
    changes.library,
    changes.from_env_key,
    changes.to_env_key
from {{ ref('registry_version_changes') }} as changes
left join {{ ref('registry_libraries') }} as from_env
    on changes.from_env_key = from_env.env_key
left join {{ ref('registry_libraries') }} as to_env
    on changes.to_env_key = to_env.env_key
where
    from_env.env_key is null
    or to_env.env_key is null
    or from_env.status <> 'scanned'
    or to_env.status <> 'scanned'
    or from_env.library <> changes.library
    or to_env.library <> changes.library
    or from_env.library_version <> changes.from_version
    or to_env.library_version <> changes.to_version
    or from_env.version_sort_key >= to_env.version_sort_key
