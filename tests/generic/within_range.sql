{% test within_range(model, column_name, min_value, max_value) %}
{#- Every non-null value lies in [min_value, max_value]; NaN and infinities fail it on both targets. -#}
select {{ column_name }} as value_out_of_range
from {{ model }}
where
    {{ column_name }} is not null
    and not ({{ column_name }} >= {{ min_value }} and {{ column_name }} <= {{ max_value }})
{% endtest %}
