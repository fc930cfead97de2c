-- One row per env_key, callable and parameter, with the callable's kind and its allowed values
-- aggregated into ordered text columns.
with

parameters as (
    select * from {{ ref('stg_raw__registry_parameters') }}
),

symbols as (
    select * from {{ ref('stg_raw__registry_symbols') }}
),

environments as (
    select * from {{ ref('stg_raw__registry_environments') }}
),

distinct_values as (
    select distinct
        env_key,
        symbol,
        parameter,
        allowed_value
    from {{ ref('stg_raw__registry_allowed_values') }}
),

distinct_sources as (
    select distinct
        env_key,
        symbol,
        parameter,
        value_source
    from {{ ref('stg_raw__registry_allowed_values') }}
),

values_per_parameter as (
    select
        env_key,
        symbol,
        parameter,
        count(*) as n_allowed_values,
        {{ dbt.listagg('allowed_value', "' | '", 'order by allowed_value') }} as allowed_values
    from distinct_values
    group by env_key, symbol, parameter
),

sources_per_parameter as (
    select
        env_key,
        symbol,
        parameter,
        {{ dbt.listagg('value_source', "' | '", 'order by value_source') }} as allowed_value_sources
    from distinct_sources
    group by env_key, symbol, parameter
)

select
    parameters.env_key,
    parameters.library,
    environments.library_version,
    parameters.symbol,
    parameters.parameter,
    parameters.position,
    parameters.kind as parameter_kind,
    parameters.required,
    parameters.has_default,
    parameters.default_repr,
    parameters.annotation,
    parameters.normalized_type,
    parameters.type_source,
    parameters.description,
    cast(coalesce(symbols.kind, '') as varchar) as symbol_kind,
    cast(coalesce(values_per_parameter.n_allowed_values, 0) as bigint) as n_allowed_values,
    cast(coalesce(values_per_parameter.allowed_values, '') as varchar) as allowed_values,
    cast(coalesce(sources_per_parameter.allowed_value_sources, '') as varchar) as allowed_value_sources
from parameters
left join symbols
    on
        parameters.env_key = symbols.env_key
        and parameters.symbol = symbols.symbol
left join environments on parameters.env_key = environments.env_key
left join values_per_parameter
    on
        parameters.env_key = values_per_parameter.env_key
        and parameters.symbol = values_per_parameter.symbol
        and parameters.parameter = values_per_parameter.parameter
left join sources_per_parameter
    on
        parameters.env_key = sources_per_parameter.env_key
        and parameters.symbol = sources_per_parameter.symbol
        and parameters.parameter = sources_per_parameter.parameter
