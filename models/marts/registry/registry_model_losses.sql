-- Declared model x loss compatibility, one row per env_key, model, loss, variant and role, with the
-- loss's family and outputs beside it (null when the loss is missing from the catalogue).
select
    model_losses.env_key,
    model_losses.library,
    environments.library_version,
    model_losses.model_class,
    model_losses.loss_class,
    model_losses.loss_variant,
    model_losses.role,
    model_losses.accepted,
    model_losses.error,
    losses.family,
    losses.outputs,
    losses.trainable
from {{ ref('stg_raw__registry_model_losses') }} as model_losses
left join {{ ref('stg_raw__registry_environments') }} as environments
    on model_losses.env_key = environments.env_key
left join {{ ref('stg_raw__registry_losses') }} as losses
    on
        model_losses.env_key = losses.env_key
        and model_losses.loss_class = losses.loss_class
        and model_losses.loss_variant = losses.loss_variant
