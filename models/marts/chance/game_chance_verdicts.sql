-- One line per game: does any model beat chance, after correcting for how many were compared?
with

games as (
    select * from {{ ref('stg_reference__games') }}
),

entries as (
    select * from {{ ref('stg_raw__leaderboard_entries') }}
),

per_game as (
    select
        game_code,
        count(*) as n_tests,
        count(distinct run_id) as n_runs,
        sum(case when beats_chance then 1 else 0 end) as n_beating,
        min(p_holm) as smallest_p_holm,
        avg(model_mae - exact_best_mae) as mean_mae_above_exact_bound
    from entries
    group by game_code
)

select
    games.game_code,
    cast(coalesce(per_game.n_runs, 0) as integer) as n_runs,
    cast(coalesce(per_game.n_tests, 0) as integer) as n_tests,
    cast(coalesce(per_game.n_beating, 0) as integer) as n_beating,
    per_game.smallest_p_holm,
    per_game.mean_mae_above_exact_bound,
    case
        when per_game.n_tests is null then 'no completed runs scored yet: run `fcast train`, then `fcast evaluate`'
        when per_game.n_beating = 0
            then
                'no model beats chance: none of ' || cast(per_game.n_tests as varchar)
                || ' model x slot comparisons with the best constant is significant after Holm'
        else
            cast(per_game.n_beating as varchar) || ' of ' || cast(per_game.n_tests as varchar)
            || ' model x slot comparisons beat the best constant after Holm'
    end as verdict
from games
left join per_game on games.game_code = per_game.game_code
