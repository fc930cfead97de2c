-- Every loss probe's value label parses into a loss class name with no parenthesis left in it.
select
    env_key,
    model_class,
    loss_class,
    loss_variant,
    role
from {{ ref('probe_model_loss_compatibility') }}
where
    loss_class = ''
    or loss_class like '%(%'
    or loss_class like '%)%'
