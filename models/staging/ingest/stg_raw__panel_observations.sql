select
    cast(dataset_name as varchar) as dataset,
    cast(unique_id as varchar) as source_unique_id,
    cast(ds as bigint) as ds,
    cast(ds_time as timestamp) as ds_time,
    cast(y as float8) as y,
    cast(coalesce(filled_by, '') as varchar) as filled_by,
    source_name,
    file_hash,
    source_row,
    loaded_at,
    cast(dataset_name as varchar) || '_' || cast(unique_id as varchar) as unique_id
from {{ source('raw', 'panel_observations') }}
