-- Per series: its draws tested against the exact i.i.d. distribution of its slot, with verdicts.
select
    tests.game_code,
    tests.unique_id,
    slots.slot_index,
    tests.test_name,
    tests.n_draws,
    tests.statistic,
    tests.dof,
    tests.p_value,
    tests.p_holm,
    tests.detail_json,
    tests.verdict,
    tests.evaluated_at
from {{ ref('stg_raw__predictability_tests') }} as tests
left join {{ ref('stg_reference__slots') }} as slots on tests.unique_id = slots.unique_id
where tests.test_scope = 'series'
