-- A loss tried against a model should be in the loss catalogue of the same environment (otherwise
-- its family is unknown). A warning: the scanner may try losses it could not catalogue.
{{ config(severity='warn') }}

select
    env_key,
    model_class,
    loss_class,
    loss_variant,
    role
from {{ ref('registry_model_losses') }}
where family is null
