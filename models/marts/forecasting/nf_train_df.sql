-- What NeuralForecast.fit(df=...) takes: unique_id, ds, y and every hist_ and fut_ feature.
select
    long.unique_id,
    long.ds,
    long.y,
    long.game_code,
    {%- for column in derived_series_columns() %}
    hist.hist_{{ column }},
    {%- endfor %}
    fut.fut_weekday,
    fut.fut_month,
    fut.fut_day_of_year,
    fut.fut_days_since_prev_draw,
    fut.fut_draw_no_parity
from {{ ref('fct_series_long') }} as long
inner join {{ ref('feat_hist') }} as hist on long.unique_id = hist.unique_id and long.ds = hist.ds
inner join {{ ref('feat_fut') }} as fut on long.unique_id = fut.unique_id and long.ds = fut.ds
