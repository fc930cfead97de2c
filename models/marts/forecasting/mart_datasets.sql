-- Every dataset a plan can name: the seeded games (ds = draw number, freq 1) and the uploaded panels
-- (their recorded time axis), with series and observation counts and the span of their time axis.
with

observed as (
    select
        dataset,
        count(distinct unique_id) as series_count,
        count(*) as observations,
        sum(case when filled_by <> '' then 1 else 0 end) as filled_observations,
        min(ds) as first_ds,
        max(ds) as last_ds,
        min(ds_time) as first_ds_time,
        max(ds_time) as last_ds_time
    from {{ ref('int_series_long') }}
    group by dataset
),

games as (
    select
        game_code as dataset,
        cast('game' as varchar) as dataset_kind,
        cast('draw_number' as varchar) as time_kind,
        cast('1' as varchar) as freq,
        cast(null as timestamp) as origin_time,
        cast(1 as integer) as season_length
    from {{ ref('stg_reference__games') }}
),

panel_names as (
    select distinct dataset from {{ ref('stg_raw__panel_observations') }}
    union
    select dataset from {{ ref('stg_raw__panel_datasets') }}
),

panels as (
    -- A panel loaded by an fcast older than its time axis has no panel_datasets row: its kind is read off
    -- the observations, and a date panel then has no freq until it is ingested again.
    select
        panel_names.dataset,
        cast('panel' as varchar) as dataset_kind,
        cast(coalesce(
            axes.time_kind, case when observed.last_ds_time is null then 'integer' else 'date' end
        ) as varchar) as time_kind,
        cast(coalesce(axes.freq, case when observed.last_ds_time is null then '1' end) as varchar) as freq,
        axes.origin_time,
        cast(coalesce(axes.season_length, 1) as integer) as season_length
    from panel_names
    left join {{ ref('stg_raw__panel_datasets') }} as axes on panel_names.dataset = axes.dataset
    left join observed on panel_names.dataset = observed.dataset
),

datasets as (
    select * from games
    union all
    select * from panels
)

select
    datasets.dataset,
    datasets.dataset_kind,
    datasets.time_kind,
    datasets.freq,
    datasets.origin_time,
    datasets.season_length,
    cast(coalesce(observed.series_count, 0) as bigint) as series_count,
    cast(coalesce(observed.observations, 0) as bigint) as observations,
    cast(coalesce(observed.filled_observations, 0) as bigint) as filled_observations,
    observed.first_ds,
    observed.last_ds,
    case when datasets.time_kind = 'date' then observed.first_ds_time end as first_ds_time,
    case when datasets.time_kind = 'date' then observed.last_ds_time end as last_ds_time
from datasets
left join observed on datasets.dataset = observed.dataset
