-- Per panel series and fut_ column: how many steps after the series' last observation have future values
-- (counted without a hole from the next step on), so a plan's horizon can be checked before training.
with

last_observed as (
    select
        dataset,
        unique_id,
        max(ds) as last_ds,
        max(ds_time) as last_ds_time
    from {{ ref('stg_raw__panel_observations') }}
    group by dataset, unique_id
),

future_columns as (
    select distinct
        exogenous.dataset,
        exogenous.unique_id,
        exogenous.feature_name
    from {{ ref('stg_raw__panel_exogenous') }} as exogenous
    where exogenous.feature_kind = 'fut'
),

future_values as (
    select
        exogenous.unique_id,
        exogenous.feature_name,
        exogenous.ds - last_observed.last_ds as steps_ahead,
        row_number() over (
            partition by exogenous.unique_id, exogenous.feature_name order by exogenous.ds
        ) as rank_ahead
    from {{ ref('stg_raw__panel_exogenous') }} as exogenous
    inner join last_observed on exogenous.unique_id = last_observed.unique_id
    where exogenous.feature_kind = 'fut' and exogenous.ds > last_observed.last_ds
)

select
    future_columns.dataset,
    future_columns.unique_id,
    future_columns.feature_name,
    last_observed.last_ds,
    last_observed.last_ds_time,
    cast(sum(case when future_values.steps_ahead = future_values.rank_ahead then 1 else 0 end) as bigint)
        as covered_steps,
    cast(count(future_values.steps_ahead) as bigint) as future_rows
from future_columns
inner join last_observed on future_columns.unique_id = last_observed.unique_id
left join future_values
    on
        future_columns.unique_id = future_values.unique_id
        and future_columns.feature_name = future_values.feature_name
group by
    future_columns.dataset,
    future_columns.unique_id,
    future_columns.feature_name,
    last_observed.last_ds,
    last_observed.last_ds_time
