-- Per game, in words: does any model beat chance on the draws that came after its forecasts were locked?
with

sequences as (
    select * from {{ ref('prospective_sequences') }}
),

draws as (
    select
        game_code,
        count(distinct target_ds) as n_draws
    from {{ ref('prospective_scores') }}
    group by game_code
),

games as (
    select
        game_code,
        count(*) as n_sequences,
        count(distinct plan_id) as n_models,
        sum(case when beats_chance then 1 else 0 end) as n_beating,
        max(e_value_max) as largest_e_value,
        max(e_value_threshold) as e_value_threshold
    from sequences
    group by game_code
)

select
    games.game_code,
    cast(draws.n_draws as integer) as n_draws,
    cast(games.n_models as integer) as n_models,
    cast(games.n_sequences as integer) as n_sequences,
    cast(games.n_beating as integer) as n_beating,
    cast(games.largest_e_value as float8) as largest_e_value,
    cast(games.e_value_threshold as float8) as e_value_threshold,
    cast(
        case
            when games.n_beating > 0
                then
                    cast(games.n_beating as varchar) || ' of ' || cast(games.n_sequences as varchar)
                    || ' model x slot sequences beat chance, after ' || cast(draws.n_draws as varchar) || ' draws'
            else 'no model beats chance so far, after ' || cast(draws.n_draws as varchar) || ' draws'
        end as varchar
    ) as verdict
from games
inner join draws on games.game_code = draws.game_code
