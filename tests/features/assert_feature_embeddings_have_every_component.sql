-- Every embedded window has each of the embedding_dims components once, all from one window (one context_hash).
select
    embedding_model,
    unique_id,
    ds,
    count(*) as component_rows,
    count(distinct component) as components,
    count(distinct context_hash) as context_hashes
from {{ ref('stg_raw__feature_embeddings') }}
group by embedding_model, unique_id, ds
having
    count(*) <> {{ var('embedding_dims') }}
    or count(distinct component) <> {{ var('embedding_dims') }}
    or count(distinct context_hash) <> 1
