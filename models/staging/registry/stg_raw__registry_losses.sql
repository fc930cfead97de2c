select
    cast(env_key as varchar) as env_key,
    cast(library as varchar) as library,
    cast(loss_class as varchar) as loss_class,
    cast(loss_variant as varchar) as loss_variant,
    cast(family as varchar) as family,  -- noqa: RF04
    cast(outputs as varchar) as outputs,
    cast(output_names as varchar) as output_names,
    cast(is_distribution_output as boolean) as is_distribution_output,
    cast(can_build as boolean) as can_build,
    cast(build_error as varchar) as build_error,
    cast(trainable as boolean) as trainable,
    cast(training_error as varchar) as training_error
from {{ source('raw', 'registry_losses') }}
