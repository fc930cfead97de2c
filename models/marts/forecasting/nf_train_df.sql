-- noqa: disable=LT02
-- What NeuralForecast.fit(df=...) takes: unique_id, ds, y and every hist_ and fut_ feature (the hist_emb_ and
-- hist_anom_ features are null where `fcast features embed` / `fcast features anomaly` has not computed them).
select
    series.unique_id,
    series.ds,
    series.y,
    series.game_code,
    {%- for column in derived_series_columns() %}
    hist.hist_{{ column }},
    {%- endfor %}
    {%- for column in embedding_feature_columns() + anomaly_feature_columns() %}
    hist.{{ column }},
    {%- endfor %}
    fut.fut_weekday,
    fut.fut_month,
    fut.fut_day_of_year,
    fut.fut_days_since_prev_draw,
    fut.fut_draw_no_parity
from {{ ref('fct_series_long') }} as series
inner join {{ ref('feat_hist') }} as hist on series.unique_id = hist.unique_id and series.ds = hist.ds
inner join {{ ref('feat_fut') }} as fut on series.unique_id = fut.unique_id and series.ds = fut.ds
