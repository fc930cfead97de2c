-- Attributions in long form, each with the feature group it belongs to: insample (the target's own past and
-- its mask), hist, fut or stat; TFT's own weights take the group of their column's prefix.
select
    cast(explain_id as varchar) as explain_id,
    cast(run_id as varchar) as run_id,
    cast(unique_id as varchar) as unique_id,
    cast(cutoff as bigint) as cutoff,
    cast(ds as bigint) as ds,
    cast(horizon_step as integer) as horizon_step,
    cast(output_index as integer) as output_index,
    cast(input_kind as varchar) as input_kind,
    cast(feature as varchar) as feature,
    cast(input_unique_id as varchar) as input_unique_id,
    cast(lag_position as integer) as lag_position,
    cast(attribution_value as float8) as attribution_value,
    cast(
        case
            when input_kind = 'futr' or left(feature, 4) = 'fut_' then 'fut'
            when input_kind = 'hist' or left(feature, 5) = 'hist_' then 'hist'
            when input_kind = 'stat' or left(feature, 5) = 'stat_' then 'stat'
            else 'insample'
        end as varchar
    ) as feature_group,
    input_kind = 'tft_importance' as is_tft_importance
from {{ source('raw', 'run_attributions') }}
