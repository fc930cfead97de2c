select
    cast(dataset_name as varchar) as dataset,
    cast(ds as bigint) as ds,
    cast(feature_name as varchar) as feature_name,
    cast(
        case
            when left(feature_name, 5) = 'hist_' then 'hist'
            when left(feature_name, 4) = 'fut_' then 'fut'
            else 'stat'
        end as varchar
    ) as feature_kind,
    cast(feature_value as float8) as feature_value,
    cast(ds_time as timestamp) as ds_time,
    cast(dataset_name as varchar) || '_' || cast(unique_id as varchar) as unique_id
from {{ source('raw', 'panel_exogenous') }}
