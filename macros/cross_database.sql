{#- Cross-database helpers (adapter.dispatch): the same models build on DuckDB and PostgreSQL. -#}

{#- The integer at a zero-based position of a JSON array stored as text. -#}
{% macro json_array_int(json_text, position) -%}
    {{ return(adapter.dispatch('json_array_int', 'fcast')(json_text, position)) }}
{%- endmacro %}

{% macro default__json_array_int(json_text, position) -%}
    cast((cast({{ json_text }} as jsonb) ->> cast({{ position }} as integer)) as integer)
{%- endmacro %}

{% macro duckdb__json_array_int(json_text, position) -%}
    cast(json_extract_string({{ json_text }}, '$[' || cast({{ position }} as varchar) || ']') as integer)
{%- endmacro %}

{#- The number of elements of a JSON array stored as text. -#}
{% macro json_array_size(json_text) -%}
    {{ return(adapter.dispatch('json_array_size', 'fcast')(json_text)) }}
{%- endmacro %}

{% macro default__json_array_size(json_text) -%}
    cast(jsonb_array_length(cast({{ json_text }} as jsonb)) as integer)
{%- endmacro %}

{% macro duckdb__json_array_size(json_text) -%}
    cast(json_array_length({{ json_text }}) as integer)
{%- endmacro %}

{#- 'MM-DD' of a date, to match the calendar closures seed. -#}
{% macro month_day(date_expression) -%}
    {{ return(adapter.dispatch('month_day', 'fcast')(date_expression)) }}
{%- endmacro %}

{% macro default__month_day(date_expression) -%}
    to_char({{ date_expression }}, 'MM-DD')
{%- endmacro %}

{% macro duckdb__month_day(date_expression) -%}
    strftime({{ date_expression }}, '%m-%d')
{%- endmacro %}

{#- Whole days from one date to a later one, as an integer on both targets. -#}
{% macro days_between(start_date, end_date) -%}
    cast(({{ end_date }} - {{ start_date }}) as integer)
{%- endmacro %}
