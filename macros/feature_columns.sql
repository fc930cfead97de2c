{#- The calendar-derived fut_ features. One definition for history rows and for future draws,
    so a model trains and predicts on exactly the same columns. -#}
{% macro fut_calendar_features(draw_date, previous_draw_date, draw_number) -%}
    cast(extract(isodow from {{ draw_date }}) as integer) as fut_weekday,
    cast(extract(month from {{ draw_date }}) as integer) as fut_month,
    cast(extract(doy from {{ draw_date }}) as integer) as fut_day_of_year,
    coalesce({{ days_between(previous_draw_date, draw_date) }}, 0) as fut_days_since_prev_draw,
    cast(mod({{ draw_number }}, 2) as integer) as fut_draw_no_parity
{%- endmacro %}

{#- Names of the derived series kept per slot (and exposed as hist_ features). -#}
{% macro derived_series_columns() -%}
    {%- set columns = ['cumsum', 'cummean', 'diff_1'] -%}
    {%- for lag in var('lags') -%}{%- do columns.append('lag_' ~ lag) -%}{%- endfor -%}
    {%- for window in var('rolling_windows') -%}
        {%- do columns.append('roll_sum_' ~ window) -%}
        {%- do columns.append('roll_mean_' ~ window) -%}
        {%- do columns.append('roll_std_' ~ window) -%}
    {%- endfor -%}
    {%- do columns.append('draws_since_value') -%}
    {%- do columns.append('value_freq') -%}
    {{ return(columns) }}
{%- endmacro %}

{#- Names of the embedding features: hist_emb_<model>_<i> for every model of var('embedding_models') and
    i = 1..var('embedding_dims'), in that order (fcast.features reads the same vars). -#}
{% macro embedding_feature_columns() -%}
    {%- set columns = [] -%}
    {%- for model in var('embedding_models') -%}
        {%- for component in range(1, var('embedding_dims') + 1) -%}
            {%- do columns.append('hist_emb_' ~ model ~ '_' ~ component) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(columns) }}
{%- endmacro %}

{#- Names of the anomaly features: hist_anom_<detector>_score and hist_anom_<detector>_flag for every detector of
    var('anomaly_detectors'), then hist_anom_regime and hist_anom_warmup (fcast.features reads the same var). -#}
{% macro anomaly_feature_columns() -%}
    {%- set columns = [] -%}
    {%- for detector in var('anomaly_detectors') -%}
        {%- do columns.append('hist_anom_' ~ detector ~ '_score') -%}
        {%- do columns.append('hist_anom_' ~ detector ~ '_flag') -%}
    {%- endfor -%}
    {%- do columns.append('hist_anom_regime') -%}
    {%- do columns.append('hist_anom_warmup') -%}
    {{ return(columns) }}
{%- endmacro %}

{#- Upper tail P(Z > z) of the standard normal (Zelen and Severo 1964, Abramowitz and Stegun 26.2.17: absolute
    error below 7.5e-8), in SQL both targets run. -#}
{% macro normal_upper_tail(z) -%}
    (case when ({{ z }}) >= 0 then {{ _normal_tail_of_abs(z) }} else 1 - {{ _normal_tail_of_abs(z) }} end)
{%- endmacro %}

{% macro _normal_tail_of_abs(z) -%}
    (exp(-0.5 * ({{ z }}) * ({{ z }})) / sqrt(2 * pi())
    * ({%- for coefficient in [0.319381530, -0.356563782, 1.781477937, -1.821255978, 1.330274429] %}
        {{ "+ " if not loop.first }}{{ coefficient }} * power(1 / (1 + 0.2316419 * abs({{ z }})), {{ loop.index }})
    {%- endfor %}))
{%- endmacro %}
