-- noqa: disable=LT02
-- The class-scope capability flags of every model class across the scanned versions of each library.
-- A version scanned in several environments is represented by its most recently scanned environment
-- with status 'scanned' (int_registry_scanned_versions, as for registry_version_changes); versions are ranked by
-- version_sort_key, 1 = the oldest scanned. changed_from_previous compares a model with the previous
-- scanned version that holds the same model class (false where the class first appears), over every
-- flag and auto_class, as registry_version_changes reports capability changes.
{%- set compared_columns = ['exogenous_futr', 'exogenous_hist', 'exogenous_stat', 'exogenous_cat',
                            'multivariate', 'recurrent', 'can_build', 'auto_class'] %}
with

class_capabilities as (
    select * from {{ ref('stg_raw__registry_model_capabilities') }}
    where scope = 'class'
),

scanned_versions as (
    select * from {{ ref('int_registry_scanned_versions') }}
),

history as (
    select
        scanned_versions.library,
        scanned_versions.library_version,
        class_capabilities.model_class,
        scanned_versions.env_key,
        scanned_versions.version_sort_key,
        scanned_versions.version_rank,
        scanned_versions.n_versions,
        {%- for column in compared_columns %}
        class_capabilities.{{ column }},
        lag(class_capabilities.{{ column }}) over by_model as previous_{{ column }},
        {%- endfor %}
        lag(scanned_versions.version_rank) over by_model as previous_version_rank
    from scanned_versions
    inner join class_capabilities on scanned_versions.env_key = class_capabilities.env_key
    window by_model as (
        partition by scanned_versions.library, class_capabilities.model_class
        order by scanned_versions.version_rank
    )
),

compared as (
    select
        *,
        {%- for column in compared_columns %}
        {{ column }} <> previous_{{ column }} as {{ column }}_differs,
        {%- endfor %}
        previous_version_rank is not null as has_previous
    from history
)

select
    library,
    library_version,
    model_class,
    env_key,
    version_sort_key,
    cast(version_rank as bigint) as version_rank,
    coalesce(version_rank = n_versions, false) as is_latest_scanned,
    {%- for column in compared_columns %}
    {{ column }},
    {%- endfor %}
    coalesce(
        has_previous and (
            exogenous_futr_differs
            or exogenous_hist_differs
            or exogenous_stat_differs
            or exogenous_cat_differs
            or multivariate_differs
            or recurrent_differs
            or can_build_differs
            or auto_class_differs
        ),
        false
    ) as changed_from_previous
from compared
