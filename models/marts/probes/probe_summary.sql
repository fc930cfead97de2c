-- Per env_key and method: how many probes ran and how they ended, with their total duration.
select
    env_key,
    library,
    method,
    cast(count(*) as bigint) as n_probes,
    cast(sum(case when outcome = 'ok' then 1 else 0 end) as bigint) as n_ok,
    cast(sum(case when outcome = 'raised' then 1 else 0 end) as bigint) as n_raised,
    cast(sum(case when outcome = 'baseline' then 1 else 0 end) as bigint) as n_baseline,
    cast(sum(case when outcome = 'not_observable' then 1 else 0 end) as bigint) as n_not_observable,
    cast(sum(case when outcome = 'unchanged' then 1 else 0 end) as bigint) as n_unchanged,
    cast(sum(case when outcome = 'ignored' then 1 else 0 end) as bigint) as n_ignored,
    cast(sum(case when outcome = 'not_additive' then 1 else 0 end) as bigint) as n_not_additive,
    cast(sum(case when outcome = 'nan_output' then 1 else 0 end) as bigint) as n_nan_output,
    cast(sum(case when outcome = 'timeout' then 1 else 0 end) as bigint) as n_timeout,
    cast(sum(case when outcome = 'crashed' then 1 else 0 end) as bigint) as n_crashed,
    cast(sum(duration_seconds) as float8) as total_duration_seconds
from {{ ref('stg_raw__registry_probes') }}
group by env_key, library, method
