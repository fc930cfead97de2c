-- Every stored draw holds exactly main_count numbers of its game (geometry from the games seed).
select
    draws.game_code,
    draws.draw_no,
    draws.main_count,
    games.main_count as expected_main_count
from {{ ref('stg_raw__lottery_draws') }} as draws
inner join {{ ref('stg_reference__games') }} as games on draws.game_code = games.game_code
where draws.main_count != games.main_count
