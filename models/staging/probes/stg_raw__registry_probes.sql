select
    cast(env_key as varchar) as env_key,
    cast(probe_id as varchar) as probe_id,
    cast(library as varchar) as library,
    cast(model_class as varchar) as model_class,
    cast(method as varchar) as method,  -- noqa: RF04
    cast(argument as varchar) as argument,
    cast(value_label as varchar) as value_label,
    cast(baseline_probe_id as varchar) as baseline_probe_id,
    cast(spec_json as varchar) as spec_json,
    cast(outcome as varchar) as outcome,
    cast(error_type as varchar) as error_type,
    cast(error_message as varchar) as error_message,
    cast(duration_seconds as float8) as duration_seconds,
    cast(output_rows as bigint) as output_rows,
    cast(output_columns as varchar) as output_columns,
    cast(max_abs_diff_from_baseline as float8) as max_abs_diff_from_baseline,
    cast(tolerance as float8) as tolerance,
    cast(probed_at as timestamp) as probed_at,
    cast(coalesce(probe_kind, 'library') as varchar) as probe_kind,
    cast(coalesce(failed_stage, '') as varchar) as failed_stage
from {{ source('raw', 'registry_probes') }}
