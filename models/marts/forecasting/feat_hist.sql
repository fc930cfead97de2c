-- noqa: disable=LT02
-- hist_ features of every lottery series: a value at draw t uses draws up to and including t.
select
    unique_id,
    ds,
    {%- for column in derived_series_columns() %}
    {{ column }} as hist_{{ column }}{{ "," if not loop.last }}
    {%- endfor %}
from {{ ref('int_series_derived') }}
