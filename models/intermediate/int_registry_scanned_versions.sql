-- One row per library and scanned version: the environment that represents the version (its most
-- recently scanned environment with status 'scanned'), and the version's rank among the library's
-- scanned versions by version_sort_key (1 = the oldest). The registry marts that compare versions
-- (registry_version_changes, registry_capability_history) read versions from here.
with

environments as (
    select * from {{ ref('stg_raw__registry_environments') }}
),

ranked_environments as (
    select
        env_key,
        library,
        library_version,
        version_sort_key,
        row_number() over (
            partition by library, library_version
            order by scanned_at desc, env_key desc
        ) as recency
    from environments
    where status = 'scanned'
)

select
    env_key,
    library,
    library_version,
    version_sort_key,
    row_number() over (
        partition by library order by version_sort_key, library_version
    ) as version_rank,
    count(*) over (partition by library) as n_versions
from ranked_environments
where recency = 1
