select
    cast(dataset_name as varchar) as dataset,
    cast(time_kind as varchar) as time_kind,
    cast(freq as varchar) as freq,
    cast(freq_source as varchar) as freq_source,
    cast(origin_time as timestamp) as origin_time,
    cast(season_length as integer) as season_length,
    cast(season_length_source as varchar) as season_length_source,
    cast(gap_policy as varchar) as gap_policy,
    source_name,
    file_hash,
    updated_at
from {{ source('raw', 'panel_datasets') }}
