{#- PostgreSQL plans joins on fresh tables from statistics it does not have yet: without them the
    calendar joins of the futr_df mart fall back to nested loops at scale. DuckDB needs nothing. -#}
{% macro analyze_on_postgres() -%}
    {%- if target.type == 'postgres' -%}
        analyze {{ this }}
    {%- endif -%}
{%- endmacro %}
