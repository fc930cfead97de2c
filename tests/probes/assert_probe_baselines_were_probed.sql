-- A probe of an argument names the baseline probe it was compared with; that baseline must be stored in
-- the same environment. A warning: a partial probe run may have lost its baseline.
{{ config(severity='warn') }}

select
    probes.env_key,
    probes.probe_id,
    probes.baseline_probe_id
from {{ ref('stg_raw__registry_probes') }} as probes
left join {{ ref('stg_raw__registry_probes') }} as baselines
    on
        probes.env_key = baselines.env_key
        and probes.baseline_probe_id = baselines.probe_id
where
    probes.baseline_probe_id <> ''
    and baselines.probe_id is null
