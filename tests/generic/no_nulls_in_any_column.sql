{% test no_nulls_in_any_column(model, except=[], except_prefixes=[]) %}
{#- neuralforecast rejects missing values in df, static_df and futr_df: no column may hold a null. Columns named
    in `except`, or starting with one of `except_prefixes` (features that are null until computed), are skipped. -#}
{%- set checked = [] -%}
{%- if execute -%}
    {%- for column in adapter.get_columns_in_relation(model) -%}
        {%- set name = column.name | lower -%}
        {%- set prefixed = [] -%}
        {%- for prefix in except_prefixes if name.startswith(prefix | lower) -%}
            {%- do prefixed.append(prefix) -%}
        {%- endfor -%}
        {%- if name not in except and not prefixed -%}
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
