select
    cast(game_code as varchar) as game_code,
    cast(draw_no as bigint) as draw_no,
    cast(draw_date as date) as draw_date,
    numbers_json,
    bonus_json,
    {{ json_array_size('numbers_json') }} as main_count,
    {{ json_array_size('bonus_json') }} as bonus_count,
    draw_hash,
    source_name,
    source_kind,
    file_hash,
    cast(source_row as bigint) as source_row,
    loaded_at
from {{ source('raw', 'lottery_draws') }}
