select
    cast(game_code as varchar) as game_code,
    cast(unique_id as varchar) as unique_id,
    cast(ds as bigint) as ds,
    cast(embedding_model as varchar) as embedding_model,
    cast(component as integer) as component,
    cast(embedding_value as float8) as embedding_value,
    cast(embedding_width as integer) as embedding_width,
    cast(checkpoint_hash as varchar) as checkpoint_hash,
    cast(reduction as varchar) as reduction,
    cast(context_length as integer) as context_length,
    cast(context_hash as varchar) as context_hash,
    cast(created_at as timestamp) as created_at
from {{ source('raw', 'feature_embeddings') }}
