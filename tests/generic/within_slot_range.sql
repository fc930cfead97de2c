{% test within_slot_range(model, column_name, unique_id_column='unique_id') %}
{#- Every value of a lottery series lies in its slot's range, read from the slots seed. -#}
select
    model_rows.{{ unique_id_column }} as unique_id,
    model_rows.{{ column_name }} as value,
    slots.slot_min,
    slots.slot_max
from {{ model }} as model_rows
inner join {{ ref('stg_reference__slots') }} as slots
    on model_rows.{{ unique_id_column }} = slots.unique_id
where
    model_rows.{{ column_name }} < slots.slot_min
    or model_rows.{{ column_name }} > slots.slot_max
{% endtest %}
