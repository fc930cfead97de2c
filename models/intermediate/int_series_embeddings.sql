-- noqa: disable=LT02
-- The embedding features of every lottery series and draw, one column per model and projected dimension
-- (hist_emb_<model>_<i>); a model without rows at a draw has nulls there. Each window ends at its draw.
{%- set components = [] %}
{%- for model in var('embedding_models') %}
    {%- for component in range(1, var('embedding_dims') + 1) %}
        {%- do components.append((model, component)) %}
    {%- endfor %}
{%- endfor %}
select
    unique_id,
    ds{{ "," if components }}
    {%- for model, component in components %}
    cast(max(case when embedding_model = '{{ model }}' and component = {{ component }} then embedding_value end)
        as float8) as hist_emb_{{ model }}_{{ component }}{{ "," if not loop.last }}
    {%- endfor %}
from {{ ref('stg_raw__feature_embeddings') }}
group by unique_id, ds
