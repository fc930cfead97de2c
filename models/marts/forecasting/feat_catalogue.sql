-- noqa: disable=LT02
-- Every feature column a plan can select, one row per dataset kind and column: its group (hist_/fut_/stat_),
-- where it comes from, its definition (the column's description in the feature marts' yml: one place),
-- the window it reads, its data type, the leakage rule it obeys, and how many stored models used it.
-- Game features come from the contracts of nf_train_df and nf_static_df; panel features from the panels' files.
{%- set declared = [] %}
{%- if execute %}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model' and node.name in ('nf_train_df', 'nf_static_df') %}
        {%- for column in node.columns.values()
            if column.name.startswith(('hist_', 'fut_', 'stat_')) %}
            {%- do declared.append((column.name, node.name, column.description, column.data_type)) %}
        {%- endfor %}
    {%- endfor %}
{%- endif %}
with

declared_columns as (
    {%- if declared %}
    select * from (
        values
        {%- for name, mart, description, data_type in declared | sort %}
        (
            '{{ name }}', '{{ mart }}', '{{ description | replace("'", "''") }}', '{{ data_type }}'
        ){{ "," if not loop.last }}
        {%- endfor %}
    ) as declared (feature, feature_mart, definition, data_type)  -- noqa: AL05
    {%- else %}
    select
        cast(null as varchar) as feature,
        cast(null as varchar) as feature_mart,
        cast(null as varchar) as definition,
        cast(null as varchar) as data_type
    where false
    {%- endif %}
),

panel_columns as (
    select distinct
        feature_name as feature,
        feature_kind
    from {{ ref('fct_panel_exogenous') }}
),

artifacts as (
    select * from {{ ref('stg_raw__model_artifacts') }}
),

features as (
    select
        'game' as dataset_kind,
        feature,
        feature_mart,
        definition,
        data_type
    from declared_columns
    union all
    select
        'panel' as dataset_kind,
        feature,
        'fct_panel_exogenous' as feature_mart,
        'a ' || feature_kind || ' column of a panel file (fcast ingest --panel)' as definition,
        'float8' as data_type
    from panel_columns
),

usage as (
    select
        features.dataset_kind,
        features.feature,
        count(distinct artifacts.run_id) as runs_using
    from features
    inner join artifacts
        on
            artifacts.futr_exog_list_json like '%"' || features.feature || '"%'
            or artifacts.hist_exog_list_json like '%"' || features.feature || '"%'
            or artifacts.stat_exog_list_json like '%"' || features.feature || '"%'
    group by features.dataset_kind, features.feature
)

select
    features.dataset_kind,
    features.feature,
    features.definition,
    features.feature_mart,
    features.data_type,
    case
        when left(features.feature, 5) = 'hist_' then 'hist'
        when left(features.feature, 4) = 'fut_' then 'futr'
        else 'stat'
    end as feature_group,
    case
        when left(features.feature, 9) = 'hist_emb_' then 'fcast features embed (foundation-model embeddings)'
        when left(features.feature, 10) = 'hist_anom_' then 'fcast features anomaly (detectors and regimes)'
        when features.dataset_kind = 'panel' then 'the panel''s own file'
        when left(features.feature, 5) = 'hist_' then 'dbt: int_series_derived'
        when left(features.feature, 4) = 'fut_' then 'dbt: int_calendar_future_draws (the draw calendar)'
        else 'dbt: the games and slots seeds (game geometry)'
    end as feature_source,
    case
        when
            left(features.feature, 9) = 'hist_lag_'
            or left(features.feature, 10) = 'hist_roll_'
            or left(features.feature, 10) = 'hist_diff_'
            then cast(regexp_replace(features.feature, '^.*_', '') as integer)
    end as window_draws,
    case
        when left(features.feature, 5) = 'hist_'
            then 'uses only draws up to and including t (checked by the leakage test)'
        when left(features.feature, 4) = 'fut_'
            then 'known before the draw from its calendar, never from outcomes'
        else 'constant per series: numbers from the game geometry'
    end as leakage_rule,
    coalesce(usage.runs_using, 0) as runs_using
from features
left join usage
    on features.dataset_kind = usage.dataset_kind and features.feature = usage.feature
