select
    cast(explain_id as varchar) as explain_id,
    cast(run_id as varchar) as run_id,
    cast(model_name as varchar) as model_name,
    cast(explainer as varchar) as explainer,
    cast(status as varchar) as explanation_status,
    cast(windows as integer) as windows,
    cast(explained_forecasts as integer) as explained_forecasts,
    cast(attribution_rows as bigint) as attribution_rows,
    cast(max_additivity_error as float8) as max_additivity_error,
    cast(additivity_tolerance as float8) as additivity_tolerance,
    cast(is_additive as boolean) as is_additive,
    cast(warnings as varchar) as warnings,
    cast(error as varchar) as error,
    cast(library_versions as varchar) as library_versions_json,
    cast(duration_seconds as float8) as duration_seconds,
    cast(created_at as timestamp) as created_at
from {{ source('raw', 'run_explanations') }}
