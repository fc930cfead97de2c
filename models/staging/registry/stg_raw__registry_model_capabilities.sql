select
    cast(env_key as varchar) as env_key,
    cast(library as varchar) as library,
    cast(model_class as varchar) as model_class,
    cast(scope as varchar) as scope,
    cast(argument as varchar) as argument,
    cast(argument_value as varchar) as argument_value,
    cast(exogenous_futr as boolean) as exogenous_futr,
    cast(exogenous_hist as boolean) as exogenous_hist,
    cast(exogenous_stat as boolean) as exogenous_stat,
    cast(exogenous_cat as boolean) as exogenous_cat,
    cast(multivariate as boolean) as multivariate,
    cast(recurrent as boolean) as recurrent,
    cast(auto_class as varchar) as auto_class,
    cast(can_build as boolean) as can_build,
    cast(build_error as varchar) as build_error
from {{ source('raw', 'registry_model_capabilities') }}
