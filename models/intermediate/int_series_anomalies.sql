-- noqa: disable=LT02
-- The anomaly features of every lottery series and draw: per outlier detector its score and flag, the regime label
-- and the warm-up indicator (1 before the first fit). Null at a draw `fcast features anomaly` has not scored.
select
    unique_id,
    ds,
    {%- for detector in var('anomaly_detectors') %}
    cast(max(case when detector = '{{ detector }}' then anomaly_score end) as float8)
        as hist_anom_{{ detector }}_score,
    cast(max(case when detector = '{{ detector }}' then flagged end) as float8) as hist_anom_{{ detector }}_flag,
    {%- endfor %}
    cast(max(case when detector = 'regime' then regime end) as float8) as hist_anom_regime,
    cast(max(case when detector = 'regime' then case when warmup then 1 else 0 end end) as float8)
        as hist_anom_warmup
from {{ ref('stg_raw__feature_anomalies') }}
group by unique_id, ds
