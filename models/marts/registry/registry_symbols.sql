-- One row per env_key and symbol (module, class, function, method, property) with its library version.
with

symbols as (
    select * from {{ ref('stg_raw__registry_symbols') }}
),

environments as (
    select * from {{ ref('stg_raw__registry_environments') }}
),

parameter_counts as (
    select
        env_key,
        symbol,
        count(*) as n_parameters
    from {{ ref('stg_raw__registry_parameters') }}
    group by env_key, symbol
)

select
    symbols.env_key,
    symbols.library,
    environments.library_version,
    symbols.symbol,
    symbols.module,
    symbols.qualname,
    symbols.kind,
    symbols.parent_symbol,
    symbols.is_public,
    symbols.summary,
    symbols.import_error,
    cast(coalesce(parameter_counts.n_parameters, 0) as bigint) as n_parameters
from symbols
left join environments on symbols.env_key = environments.env_key
left join parameter_counts
    on
        symbols.env_key = parameter_counts.env_key
        and symbols.symbol = parameter_counts.symbol
