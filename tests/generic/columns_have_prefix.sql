{% test columns_have_prefix(model, prefix, key_columns=['unique_id', 'ds']) %}
{#- Every column other than the keys must start with the feature group's prefix. -#}
{%- set offending = [] -%}
{%- if execute -%}
    {%- for column in adapter.get_columns_in_relation(model) -%}
        {%- set name = column.name | lower -%}
        {%- if name not in key_columns and not name.startswith(prefix) -%}
            {%- do offending.append(name) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif -%}
{%- for name in offending %}
select cast('{{ name }}' as varchar) as column_without_prefix
union all
{%- endfor %}
select cast(null as varchar) as column_without_prefix
where 1 = 0
{% endtest %}
