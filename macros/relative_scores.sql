{#- The geometric mean over series of a ratio of MAEs (model / seasonal naive): the convention of the fev and
    GIFT-Eval benchmarks. Ratios that are not positive (seasonal naive exact, or no baseline) are left out;
    null when none is left. An aggregate: use it in a grouped select. -#}
{% macro geometric_mean_of_ratios(ratio) -%}
    exp(avg(ln(case when {{ ratio }} > 0 then {{ ratio }} end)))
{%- endmacro %}
