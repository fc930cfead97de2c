-- Per game: the pooled ball-frequency test, and a summary verdict over every test of the game.
with

tests as (
    select * from {{ ref('stg_raw__predictability_tests') }}
),

summary as (
    select
        game_code,
        count(p_value) as n_tests,
        sum(case when p_holm < 0.05 then 1 else 0 end) as n_departing
    from tests
    group by game_code
),

pooled as (
    select * from tests
    where test_name = 'pooled_ball_frequency'
)

select
    summary.game_code,
    cast(summary.n_tests as integer) as n_tests,
    cast(summary.n_departing as integer) as n_departing,
    pooled.n_draws,
    pooled.statistic as pooled_chi_square,
    pooled.dof as pooled_dof,
    pooled.p_value as pooled_p_value,
    pooled.p_holm as pooled_p_holm,
    pooled.verdict as pooled_verdict,
    case
        when summary.n_departing = 0
            then 'the draws are consistent with i.i.d. chance on every test (Holm-corrected)'
        else
            cast(summary.n_departing as varchar) || ' of ' || cast(summary.n_tests as varchar)
            || ' tests depart from i.i.d. chance (Holm-corrected): see chance_predictability_profile'
    end as verdict
from summary
left join pooled on summary.game_code = pooled.game_code
