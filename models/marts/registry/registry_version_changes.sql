-- noqa: disable=LT02
-- What changed between consecutive scanned versions of each library. Versions are ordered by
-- version_sort_key; a version scanned in several environments is represented by its most recently
-- scanned environment with status 'scanned' (int_registry_scanned_versions). One row per change:
-- symbols added or removed, parameters added or removed (of callables present in both versions),
-- defaults and normalized types changed, and class-scope capability flags changed (symbol holds the
-- model class there).
{%- set boolean_flags = ['exogenous_futr', 'exogenous_hist', 'exogenous_stat', 'exogenous_cat',
                         'multivariate', 'recurrent', 'can_build'] %}
with

scanned_versions as (
    select * from {{ ref('int_registry_scanned_versions') }}
),

symbols as (
    select * from {{ ref('stg_raw__registry_symbols') }}
),

parameters as (
    select * from {{ ref('stg_raw__registry_parameters') }}
),

class_capabilities as (
    select * from {{ ref('stg_raw__registry_model_capabilities') }}
    where scope = 'class'
),

consecutive_versions as (
    select
        library,
        env_key as from_env_key,
        library_version as from_version,
        lead(env_key) over (partition by library order by version_rank) as to_env_key,
        lead(library_version) over (partition by library order by version_rank) as to_version
    from scanned_versions
),

version_pairs as (
    select * from consecutive_versions
    where to_env_key is not null
),

-- Symbols: full outer join of the two versions' symbol sets.
from_symbols as (
    select
        version_pairs.from_env_key,
        symbols.symbol
    from version_pairs
    inner join symbols on version_pairs.from_env_key = symbols.env_key
),

to_symbols as (
    select
        version_pairs.from_env_key,
        symbols.symbol
    from version_pairs
    inner join symbols on version_pairs.to_env_key = symbols.env_key
),

symbol_changes as (
    select
        coalesce(from_symbols.from_env_key, to_symbols.from_env_key) as from_env_key,
        case when from_symbols.symbol is null then 'symbol_added' else 'symbol_removed' end as change_kind,
        coalesce(from_symbols.symbol, to_symbols.symbol) as symbol,
        '' as parameter,
        '' as attribute,  -- noqa: RF04
        '' as old_value,
        '' as new_value
    from from_symbols
    full outer join to_symbols
        on
            from_symbols.from_env_key = to_symbols.from_env_key
            and from_symbols.symbol = to_symbols.symbol
    where from_symbols.symbol is null or to_symbols.symbol is null
),

-- Parameters: compared only for callables known in both versions (symbol or parameter rows).
known_symbols as (
    select
        env_key,
        symbol
    from symbols
    union
    select
        env_key,
        symbol
    from parameters
),

common_symbols as (
    select
        version_pairs.from_env_key,
        from_known.symbol
    from version_pairs
    inner join known_symbols as from_known on version_pairs.from_env_key = from_known.env_key
    inner join known_symbols as to_known
        on
            version_pairs.to_env_key = to_known.env_key
            and from_known.symbol = to_known.symbol
),

from_parameters as (
    select
        version_pairs.from_env_key,
        parameters.symbol,
        parameters.parameter,
        parameters.default_repr,
        parameters.normalized_type
    from version_pairs
    inner join parameters on version_pairs.from_env_key = parameters.env_key
),

to_parameters as (
    select
        version_pairs.from_env_key,
        parameters.symbol,
        parameters.parameter,
        parameters.default_repr,
        parameters.normalized_type
    from version_pairs
    inner join parameters on version_pairs.to_env_key = parameters.env_key
),

parameter_pairs as (
    select
        from_parameters.default_repr as old_default_repr,
        to_parameters.default_repr as new_default_repr,
        from_parameters.normalized_type as old_normalized_type,
        to_parameters.normalized_type as new_normalized_type,
        coalesce(from_parameters.from_env_key, to_parameters.from_env_key) as from_env_key,
        coalesce(from_parameters.symbol, to_parameters.symbol) as symbol,
        coalesce(from_parameters.parameter, to_parameters.parameter) as parameter,
        from_parameters.parameter is not null as in_from,
        to_parameters.parameter is not null as in_to
    from from_parameters
    full outer join to_parameters
        on
            from_parameters.from_env_key = to_parameters.from_env_key
            and from_parameters.symbol = to_parameters.symbol
            and from_parameters.parameter = to_parameters.parameter
),

common_parameter_pairs as (
    select parameter_pairs.*
    from parameter_pairs
    inner join common_symbols
        on
            parameter_pairs.from_env_key = common_symbols.from_env_key
            and parameter_pairs.symbol = common_symbols.symbol
),

parameter_changes as (
    select
        from_env_key,
        case when in_from then 'parameter_removed' else 'parameter_added' end as change_kind,
        symbol,
        parameter,
        '' as attribute,  -- noqa: RF04
        '' as old_value,
        '' as new_value
    from common_parameter_pairs
    where not (in_from and in_to)
    union all
    select
        from_env_key,
        'default_changed' as change_kind,
        symbol,
        parameter,
        'default_repr' as attribute,  -- noqa: RF04
        old_default_repr as old_value,
        new_default_repr as new_value
    from common_parameter_pairs
    where in_from and in_to and old_default_repr <> new_default_repr
    union all
    select
        from_env_key,
        'type_changed' as change_kind,
        symbol,
        parameter,
        'normalized_type' as attribute,  -- noqa: RF04
        old_normalized_type as old_value,
        new_normalized_type as new_value
    from common_parameter_pairs
    where in_from and in_to and old_normalized_type <> new_normalized_type
),

-- Capabilities: class-scope flags per model class present in both versions.
from_capabilities as (
    select
        class_capabilities.*,
        version_pairs.from_env_key as pair_key
    from version_pairs
    inner join class_capabilities on version_pairs.from_env_key = class_capabilities.env_key
),

to_capabilities as (
    select
        class_capabilities.*,
        version_pairs.from_env_key as pair_key
    from version_pairs
    inner join class_capabilities on version_pairs.to_env_key = class_capabilities.env_key
),

capability_pairs as (
    select
        from_capabilities.pair_key as from_env_key,
        from_capabilities.model_class,
        {%- for flag in boolean_flags %}
        from_capabilities.{{ flag }} as old_{{ flag }},
        to_capabilities.{{ flag }} as new_{{ flag }},
        {%- endfor %}
        from_capabilities.auto_class as old_auto_class,
        to_capabilities.auto_class as new_auto_class
    from from_capabilities
    full outer join to_capabilities
        on
            from_capabilities.pair_key = to_capabilities.pair_key
            and from_capabilities.model_class = to_capabilities.model_class
    where from_capabilities.model_class is not null and to_capabilities.model_class is not null
),

capability_changes as (
    {%- for flag in boolean_flags %}
    select
        from_env_key,
        'capability_changed' as change_kind,
        model_class as symbol,
        '' as parameter,
        '{{ flag }}' as attribute,  -- noqa: RF04
        case when old_{{ flag }} then 'true' else 'false' end as old_value,
        case when new_{{ flag }} then 'true' else 'false' end as new_value
    from capability_pairs
    where old_{{ flag }} <> new_{{ flag }}
    union all
    {%- endfor %}
    select
        from_env_key,
        'capability_changed' as change_kind,
        model_class as symbol,
        '' as parameter,
        'auto_class' as attribute,  -- noqa: RF04
        old_auto_class as old_value,
        new_auto_class as new_value
    from capability_pairs
    where old_auto_class <> new_auto_class
),

changes as (
    select * from symbol_changes
    union all
    select * from parameter_changes
    union all
    select * from capability_changes
)

select
    version_pairs.library,
    version_pairs.from_version,
    version_pairs.to_version,
    version_pairs.from_env_key,
    version_pairs.to_env_key,
    cast(changes.change_kind as varchar) as change_kind,
    cast(changes.symbol as varchar) as symbol,
    cast(changes.parameter as varchar) as parameter,
    cast(changes.attribute as varchar) as attribute,  -- noqa: RF04
    cast(changes.old_value as varchar) as old_value,
    cast(changes.new_value as varchar) as new_value
from changes
inner join version_pairs on changes.from_env_key = version_pairs.from_env_key
