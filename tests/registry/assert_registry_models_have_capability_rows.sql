-- Every model class named by the loss compatibility matrix or by a search space has a class-scope
-- capability row in the same environment.
with

named_models as (
    select
        env_key,
        model_class,
        cast('registry_model_losses' as varchar) as named_in
    from {{ ref('registry_model_losses') }}
    union
    select
        env_key,
        model_class,
        cast('registry_search_spaces' as varchar) as named_in
    from {{ ref('registry_search_spaces') }}
)

select
    named_models.env_key,
    named_models.model_class,
    named_models.named_in
from named_models
left join {{ ref('registry_model_capabilities') }} as capabilities
    on
        named_models.env_key = capabilities.env_key
        and named_models.model_class = capabilities.model_class
where capabilities.model_class is null
