select
    cast(explain_id as varchar) as explain_id,
    cast(run_id as varchar) as run_id,
    cast(unique_id as varchar) as unique_id,
    cast(cutoff as bigint) as cutoff,
    cast(ds as bigint) as ds,
    cast(horizon_step as integer) as horizon_step,
    cast(output_index as integer) as output_index,
    cast(output_name as varchar) as output_name,
    cast(forecast as float8) as forecast,
    cast(baseline_prediction as float8) as baseline_prediction,
    cast(attribution_sum as float8) as attribution_sum,
    cast(additivity_error as float8) as additivity_error
from {{ source('raw', 'run_explanation_forecasts') }}
