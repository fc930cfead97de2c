select
    games.game_code,
    games.game_name,
    games.family,
    families.family_code,
    cast(games.main_count as integer) as main_count,
    cast(games.number_min as integer) as number_min,
    cast(games.number_max as integer) as number_max,
    cast(games.number_max - games.number_min + 1 as integer) as game_size,
    cast(games.bonus_count as integer) as bonus_count,
    games.number_order,
    games.active_from,
    games.active_to
from {{ ref('games') }} as games
inner join {{ ref('game_families') }} as families on games.family = families.family
