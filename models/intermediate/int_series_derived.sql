-- noqa: disable=LT02
-- Derived series per lottery slot. Every value at draw t uses draws up to and including t only.
-- Windows at the start of a series cover the draws available so far; lags before the first
-- draw take the series' first value; draws_since_value counts the draws seen so far when the
-- current value has not appeared before.
with

series as (
    select
        unique_id,
        ds,
        y
    from {{ ref('int_series_long') }}
    where dataset_kind = 'game'
),

ordered as (
    select
        unique_id,
        ds,
        y,
        row_number() over (partition by unique_id order by ds) as draw_position,
        first_value(y) over (partition by unique_id order by ds) as first_y,
        lag(ds) over (partition by unique_id, y order by ds) as previous_ds_with_value,
        count(*) over (
            partition by unique_id, y order by ds rows between unbounded preceding and current row
        ) as value_count_so_far
    from series
)

select
    unique_id,
    ds,
    y,
    cast(sum(y) over (partition by unique_id order by ds rows between unbounded preceding and current row)
        as float8) as cumsum,
    cast(avg(y) over (partition by unique_id order by ds rows between unbounded preceding and current row)
        as float8) as cummean,
    cast(y - coalesce(lag(y, 1) over (partition by unique_id order by ds), y) as float8) as diff_1,
    {%- for lag in var('lags') %}
    cast(coalesce(lag(y, {{ lag }}) over (partition by unique_id order by ds), first_y) as float8)
        as lag_{{ lag }},
    {%- endfor %}
    {%- for window in var('rolling_windows') %}
    cast(sum(y) over (
        partition by unique_id order by ds rows between {{ window - 1 }} preceding and current row
    ) as float8) as roll_sum_{{ window }},
    cast(avg(y) over (
        partition by unique_id order by ds rows between {{ window - 1 }} preceding and current row
    ) as float8) as roll_mean_{{ window }},
    cast(coalesce(stddev_samp(y) over (
        partition by unique_id order by ds rows between {{ window - 1 }} preceding and current row
    ), 0) as float8) as roll_std_{{ window }},
    {%- endfor %}
    cast(coalesce(ds - previous_ds_with_value, draw_position) as float8) as draws_since_value,
    cast(value_count_so_far as float8) / cast(draw_position as float8) as value_freq
from ordered
