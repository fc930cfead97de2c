{#- The draw calendar from the seeds, as joins on a relation with game_code and a date column:
    the weekday of its era (every n weeks counted from the era start), minus the yearly closures
    and one-off skips. Use draw_calendar_joins in the from clause and draw_calendar_is_open in
    the where clause. -#}
{% macro draw_calendar_joins(relation, date_column) -%}
    inner join {{ ref('draw_calendar_weekdays') }} as weekdays
        on
            {{ relation }}.game_code = weekdays.game_code
            and {{ relation }}.{{ date_column }} >= weekdays.era_from
            and (weekdays.era_to is null or {{ relation }}.{{ date_column }} <= weekdays.era_to)
            and cast(extract(isodow from {{ relation }}.{{ date_column }}) as integer) = weekdays.iso_weekday
            and mod(
                cast(floor({{ days_between('weekdays.era_from', relation ~ '.' ~ date_column) }} / 7.0) as integer),
                weekdays.every_n_weeks
            ) = 0
    left join {{ ref('draw_calendar_closures') }} as closures
        on
            {{ relation }}.game_code = closures.game_code
            and {{ month_day(relation ~ '.' ~ date_column) }} = closures.month_day
    left join {{ ref('draw_calendar_skips') }} as skips
        on
            {{ relation }}.game_code = skips.game_code
            and {{ relation }}.{{ date_column }} = skips.skip_date
{%- endmacro %}

{% macro draw_calendar_is_open() -%}
    closures.game_code is null and skips.game_code is null
{%- endmacro %}
