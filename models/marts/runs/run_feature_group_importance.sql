-- Feature importance per explanation and feature group (insample, hist, fut, stat): the sum of its features'
-- mean absolute attributions, its share of the explanation's total and its rank.
with

features as (
    select * from {{ ref('run_feature_importance') }}
),

groups as (
    select
        explain_id,
        run_id,
        run_name,
        model_name,
        dataset,
        explainer,
        importance_source,
        feature_group,
        is_additive,
        explained_at,
        count(*) as n_features,
        sum(mean_abs_attribution) as mean_abs_attribution,
        sum(importance_share) as importance_share
    from features
    group by
        explain_id, run_id, run_name, model_name, dataset, explainer, importance_source, feature_group, is_additive,
        explained_at
)

select
    explain_id,
    run_id,
    run_name,
    model_name,
    dataset,
    explainer,
    importance_source,
    feature_group,
    cast(n_features as integer) as n_features,
    cast(mean_abs_attribution as float8) as mean_abs_attribution,
    cast(importance_share as float8) as importance_share,
    cast(
        rank() over (partition by explain_id, importance_source order by mean_abs_attribution desc, feature_group asc)
        as integer
    ) as importance_rank,
    is_additive,
    explained_at
from groups
