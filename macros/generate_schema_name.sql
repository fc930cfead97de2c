{#- Custom schemas are used as written (staging, intermediate, marts, reference), not prefixed with
    the target schema, so Python readers find the same names on DuckDB and PostgreSQL. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
