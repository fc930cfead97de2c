-- Feature importance per explanation (a run and its explainer): the mean over the explained forecasts of the
-- absolute attribution summed over the feature's lags and input series, its share of the run's total and its
-- rank. Attributions explain the point forecast or median (output 0); TFT's own selection weights are ranked
-- beside them as importance_source tft_importance.
with

explanations as (
    select * from {{ ref('stg_raw__run_explanations') }}
    where explanation_status = 'completed'
),

attributions as (
    select * from {{ ref('stg_raw__run_attributions') }}
    where output_index = 0
),

runs as (
    select * from {{ ref('stg_raw__nf_model_runs') }}
),

per_forecast as (
    select
        explain_id,
        unique_id,
        cutoff,
        horizon_step,
        is_tft_importance,
        feature_group,
        feature,
        sum(abs(attribution_value)) as abs_attribution,
        sum(attribution_value) as attribution
    from attributions
    group by explain_id, unique_id, cutoff, horizon_step, is_tft_importance, feature_group, feature
),

per_feature as (
    select
        explain_id,
        is_tft_importance,
        feature_group,
        feature,
        count(*) as n_forecasts,
        avg(abs_attribution) as mean_abs_attribution,
        avg(attribution) as mean_attribution
    from per_forecast
    group by explain_id, is_tft_importance, feature_group, feature
),

shared as (
    select
        *,
        mean_abs_attribution / nullif(
            sum(mean_abs_attribution) over (partition by explain_id, is_tft_importance), 0
        ) as importance_share,
        rank() over (
            partition by explain_id, is_tft_importance order by mean_abs_attribution desc, feature asc
        ) as importance_rank
    from per_feature
)

select
    shared.explain_id,
    explanations.run_id,
    runs.run_name,
    explanations.model_name,
    runs.dataset,
    explanations.explainer,
    cast(case when shared.is_tft_importance then 'tft_importance' else 'attribution' end as varchar)
        as importance_source,
    shared.feature_group,
    shared.feature,
    cast(shared.n_forecasts as integer) as n_forecasts,
    cast(shared.mean_abs_attribution as float8) as mean_abs_attribution,
    cast(shared.mean_attribution as float8) as mean_attribution,
    cast(shared.importance_share as float8) as importance_share,
    cast(shared.importance_rank as integer) as importance_rank,
    explanations.is_additive,
    explanations.max_additivity_error,
    explanations.created_at as explained_at
from shared
inner join explanations on shared.explain_id = explanations.explain_id
inner join runs on explanations.run_id = runs.run_id
