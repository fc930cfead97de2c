select
    cast(plan_id as varchar) as plan_id,
    cast(plan_name as varchar) as plan_name,
    cast(plan_source as varchar) as plan_source,
    cast(row_index as integer) as row_index,
    cast(run_name as varchar) as run_name,
    cast(dataset as varchar) as dataset,
    cast(series_selector as varchar) as series_selector,
    cast(model_class as varchar) as model_class,
    cast(loss_class as varchar) as loss_class,
    cast(valid_loss_class as varchar) as valid_loss_class,
    cast(horizon as integer) as horizon,
    cast(backend as varchar) as backend,
    cast(spec_json as varchar) as spec_json,
    cast(created_at as timestamp) as created_at
from {{ source('raw', 'run_plans') }}
