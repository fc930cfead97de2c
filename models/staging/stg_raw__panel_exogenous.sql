select
    cast(dataset_name as varchar) as dataset_name,
    cast(ds as bigint) as ds,
    cast(feature_name as varchar) as feature_name,
    cast(feature_value as float8) as feature_value,
    cast(dataset_name as varchar) || '_' || cast(unique_id as varchar) as unique_id
from {{ source('raw', 'panel_exogenous') }}
