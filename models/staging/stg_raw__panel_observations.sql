select
    cast(dataset_name as varchar) as dataset_name,
    cast(unique_id as varchar) as source_unique_id,
    cast(ds as bigint) as ds,
    cast(ds_date as date) as ds_date,
    cast(y as float8) as y,
    source_name,
    file_hash,
    loaded_at,
    cast(dataset_name as varchar) || '_' || cast(unique_id as varchar) as unique_id
from {{ source('raw', 'panel_observations') }}
