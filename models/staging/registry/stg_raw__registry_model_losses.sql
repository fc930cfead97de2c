select
    cast(env_key as varchar) as env_key,
    cast(library as varchar) as library,
    cast(model_class as varchar) as model_class,
    cast(loss_class as varchar) as loss_class,
    cast(loss_variant as varchar) as loss_variant,
    cast(role as varchar) as role,  -- noqa: RF04
    cast(accepted as boolean) as accepted,
    cast(error as varchar) as error
from {{ source('raw', 'registry_model_losses') }}
