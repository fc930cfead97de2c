-- A hist_emb_ column means one thing per series: one checkpoint, reduction and context length per model and series.
select
    embedding_model,
    unique_id,
    count(distinct checkpoint_hash) as checkpoints,
    count(distinct reduction) as reductions,
    count(distinct context_length) as context_lengths
from {{ ref('stg_raw__feature_embeddings') }}
group by embedding_model, unique_id
having
    count(distinct checkpoint_hash) > 1
    or count(distinct reduction) > 1
    or count(distinct context_length) > 1
