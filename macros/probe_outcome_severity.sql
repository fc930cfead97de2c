{#- How bad a probe outcome is, for keeping the most severe one when several probes share a key:
    crashed > timeout > raised > nan_output > ignored > ok. -#}
{% macro probe_outcome_severity(outcome_column) -%}
    case {{ outcome_column }}
        when 'crashed' then 6
        when 'timeout' then 5
        when 'raised' then 4
        when 'nan_output' then 3
        when 'ignored' then 2
        else 1
    end
{%- endmacro %}
