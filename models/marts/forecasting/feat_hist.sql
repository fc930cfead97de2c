-- noqa: disable=LT02
-- hist_ features of every lottery series: a value at draw t uses draws up to and including t. The embedding
-- features (hist_emb_) come from `fcast features embed`, the anomaly features (hist_anom_) from
-- `fcast features anomaly`; each is null where its command has not computed the draw.
{%- set columns = [] %}
{%- for column in derived_series_columns() %}
    {%- do columns.append('derived.' ~ column ~ ' as hist_' ~ column) %}
{%- endfor %}
{%- for column in embedding_feature_columns() %}
    {%- do columns.append('embeddings.' ~ column) %}
{%- endfor %}
{%- for column in anomaly_feature_columns() %}
    {%- do columns.append('anomalies.' ~ column) %}
{%- endfor %}
select
    derived.unique_id,
    derived.ds,
    {%- for column in columns %}
    {{ column }}{{ "," if not loop.last }}
    {%- endfor %}
from {{ ref('int_series_derived') }} as derived
left join {{ ref('int_series_embeddings') }} as embeddings
    on derived.unique_id = embeddings.unique_id and derived.ds = embeddings.ds
left join {{ ref('int_series_anomalies') }} as anomalies
    on derived.unique_id = anomalies.unique_id and derived.ds = anomalies.ds
