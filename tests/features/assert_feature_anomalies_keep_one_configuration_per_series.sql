-- One configuration (arguments and library version) per detector and series: a new one replaces the old rows.
select
    detector,
    unique_id,
    count(distinct detector_args || library_version) as configurations
from {{ ref('stg_raw__feature_anomalies') }}
group by detector, unique_id
having count(distinct detector_args || library_version) > 1
