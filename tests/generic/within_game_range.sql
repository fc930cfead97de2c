{% test within_game_range(model, column_name, game_column='game_code') %}
{#- Every number lies in its game's number range, read from the games seed. -#}
select
    model_rows.{{ game_column }} as game_code,
    model_rows.{{ column_name }} as value
from {{ model }} as model_rows
inner join {{ ref('stg_reference__games') }} as games
    on model_rows.{{ game_column }} = games.game_code
where
    model_rows.{{ column_name }} < games.number_min
    or model_rows.{{ column_name }} > games.number_max
{% endtest %}
