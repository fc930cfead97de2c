select
    cast(game_code as varchar) as game_code,
    cast(unique_id as varchar) as unique_id,
    cast(scope as varchar) as test_scope,
    cast(test_name as varchar) as test_name,
    cast(n_draws as integer) as n_draws,
    cast(statistic as float8) as statistic,
    cast(dof as integer) as dof,
    cast(p_value as float8) as p_value,
    cast(p_holm as float8) as p_holm,
    cast(detail as varchar) as detail_json,
    cast(verdict as varchar) as verdict,
    cast(evaluated_at as timestamp) as evaluated_at
from {{ source('raw', 'predictability_tests') }}
