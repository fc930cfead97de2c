select
    cast(game_code as varchar) as game_code,
    cast(draw_no as bigint) as draw_no,
    cast(draw_date as date) as draw_date,
    numbers_json,
    bonus_json,
    draw_hash,
    stored_draw_hash,
    difference,
    source_name,
    source_kind,
    file_hash,
    cast(source_row as bigint) as source_row,
    loaded_at
from {{ source('raw', 'lottery_draw_conflicts') }}
