{% test no_nulls_in_any_column(model, except=[]) %}
{#- neuralforecast rejects missing values in df, static_df and futr_df: no column may hold a null. -#}
{%- set checked = [] -%}
{%- if execute -%}
    {%- for column in adapter.get_columns_in_relation(model) -%}
        {%- if column.name | lower not in except -%}
            {%- do checked.append(column.name) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif -%}
{%- for name in checked %}
select cast('{{ name }}' as varchar) as column_with_nulls, count(*) as null_rows
from {{ model }}
where {{ adapter.quote(name) }} is null
having count(*) > 0
{{ "union all" if not loop.last }}
{%- endfor %}
{%- if not checked %}
select cast(null as varchar) as column_with_nulls, 0 as null_rows
where 1 = 0
{%- endif %}
{% endtest %}
