"""The CSV/TSV/JSON reader, on real files written into tmp_path from real rows of the shipped history."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import shutil
import time
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from fcast import settings
from fcast.games import get_game, load_games
from fcast.ingest.records import DrawRecord, IngestError
from fcast.ingest.tabular import (
    HEADER_VOCABULARY_SEED,
    ColumnRole,
    classify_column,
    decode_text,
    guess_game,
    parse_date,
    parse_draw_no,
    read_tabular,
)

pytestmark = pytest.mark.fast

LOTO6_HEADER_SJIS = "開催回,日付,第1数字,第2数字,第3数字,第4数字,第5数字,第6数字,ボーナス数字,1等口数,1等賞金"


@cache
def shipped_draws(game_code: str) -> tuple[dict[str, Any], ...]:
    """The shipped history of a game, newest first, as in data/lottery/<game>.json."""
    history = settings.project_dir() / get_game(game_code).history_file
    return tuple(json.loads(history.read_text(encoding="utf-8")))


def shipped_draw(game_code: str, draw_no: int) -> dict[str, Any]:
    return next(draw for draw in shipped_draws(game_code) if draw["round"] == draw_no)


def slash_date(iso_date: str) -> str:
    day = dt.date.fromisoformat(iso_date)
    return f"{day.year}/{day.month}/{day.day}"


def kanji_date(iso_date: str) -> str:
    day = dt.date.fromisoformat(iso_date)
    return f"{day.year}年{day.month}月{day.day}日"


def write_file(directory: Path, name: str, text: str, encoding: str = "utf-8", newline: str = "\n") -> Path:
    path = directory / name
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    return path


def assert_matches_shipped(record: DrawRecord, game_code: str, draw_no: int) -> None:
    expected = shipped_draw(game_code, draw_no)
    assert record.game_code == game_code
    assert record.draw_no == draw_no
    assert record.draw_date == dt.date.fromisoformat(expected["date"])
    assert record.numbers == expected["numbers"]
    assert record.bonus == expected["bonus"]
    assert record.problems == []


def problem_rules(record: DrawRecord) -> list[str]:
    return [rule for rule, _ in record.problems]


# --------------------------------------------------------------------------- cell parsers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2000/10/5", dt.date(2000, 10, 5)),
        ("2000-10-05", dt.date(2000, 10, 5)),
        ("2024年6月19日", dt.date(2024, 6, 19)),
        ("２０２４年６月１９日", dt.date(2024, 6, 19)),
        ("２０００／１０／０５", dt.date(2000, 10, 5)),
        (' "2000/10/05" ', dt.date(2000, 10, 5)),
        ("2024年6月19日(水)", dt.date(2024, 6, 19)),
        ("2025-12-29 00:00:00", dt.date(2025, 12, 29)),
    ],
)
def test_parse_date_accepts_the_circulating_formats(text: str, expected: dt.date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["", "2000/13/01", "2000/2/30", "10/5/2000", "123", "令和6年6月19日", "date"])
def test_parse_date_rejects_what_is_not_a_date(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("123", 123),
        ("第123回", 123),
        ("123回", 123),
        ("第１２３回", 123),
        ("１２３", 123),
        (' "2064" ', 2064),
    ],
)
def test_parse_draw_no_accepts_plain_and_kanji_forms(text: str, expected: int) -> None:
    assert parse_draw_no(text) == expected


@pytest.mark.parametrize("text", ["", "第回", "abc", "12a", "2000/10/5", "回号"])
def test_parse_draw_no_rejects_what_is_not_a_draw_number(text: str) -> None:
    with pytest.raises(ValueError):
        parse_draw_no(text)


def test_decode_text_reads_utf8_with_bom_shift_jis_and_normalises_crlf() -> None:
    text = "開催回,日付\r\n第1回,2000/10/5\r\n"
    assert decode_text(text.encode("utf-8-sig"), "a.csv") == "開催回,日付\n第1回,2000/10/5\n"
    assert decode_text(text.encode("utf-8"), "a.csv") == "開催回,日付\n第1回,2000/10/5\n"
    assert decode_text(text.encode("cp932"), "a.csv") == "開催回,日付\n第1回,2000/10/5\n"


def test_decode_text_names_the_file_when_nothing_decodes() -> None:
    with pytest.raises(IngestError, match=r"garbage\.csv"):
        decode_text(bytes(range(256)) * 3, "garbage.csv")


# --------------------------------------------------------------------------- game guessing


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("loto6.csv", "loto6"),
        ("Loto7_2013-2025.csv", "loto7"),
        ("miniloto2024.csv", "miniloto"),
        ("ミニロト_当せん番号.csv", "miniloto"),
        ("ロト6.csv", "loto6"),
        ("ロト６過去結果.csv", "loto6"),
        ("ナンバーズ４.csv", "numbers4"),
        ("Numbers3.json", "numbers3"),
        ("bingo5-history.txt", "bingo5"),
    ],
)
def test_guess_game_from_the_file_name(name: str, expected: str) -> None:
    assert guess_game(name, None, []) == expected


def test_guess_game_ignores_aliases_glued_into_other_words() -> None:
    assert guess_game("jan3-results.csv", None, []) is None


def test_guess_game_by_count_when_exactly_one_game_has_that_many_numbers() -> None:
    games_by_count: dict[int, list[str]] = {}
    for game in load_games().values():
        games_by_count.setdefault(game.main_count, []).append(game.code)
    for count, codes in games_by_count.items():
        expected = codes[0] if len(codes) == 1 else None
        assert guess_game("history.csv", None, [list(range(1, count + 1))] * 3) == expected
    unused_count = max(games_by_count) + 1
    assert guess_game("history.csv", None, [list(range(unused_count))]) is None


def test_guess_game_prefers_the_file_name_to_the_count() -> None:
    assert guess_game("loto7.csv", None, [[1, 2, 3, 4, 5, 6]]) == "loto7"


def test_guess_game_from_a_header_naming_a_game() -> None:
    assert guess_game("history.csv", ["回別", "抽せん日", "ナンバーズ4 抽せん数字"], []) == "numbers4"


# --------------------------------------------------------------------------- CSV variants


def loto6_sjis_rows(draw_nos: list[int], prize_cells: list[str]) -> list[str]:
    lines = []
    for draw_no, prize in zip(draw_nos, prize_cells, strict=True):
        draw = shipped_draw("loto6", draw_no)
        numbers = ",".join(f"{number:02d}" for number in draw["numbers"])
        lines.append(f"第{draw_no}回,{slash_date(draw['date'])},{numbers},{draw['bonus'][0]:02d},{prize}")
    return lines


def test_shift_jis_csv_with_japanese_headers_crlf_and_prize_columns(tmp_path: Path) -> None:
    rows = loto6_sjis_rows([2064, 2063, 2062], ['1口,"301,716,500円"', "該当なし,0円", '2口,"150,000,000円"'])
    text = "\n".join([LOTO6_HEADER_SJIS, *rows]) + "\n"
    path = write_file(tmp_path, "loto6_history.csv", text, encoding="cp932", newline="\r\n")

    result = read_tabular(path)

    assert result.game_code == "loto6"
    assert result.source_kind == "csv"
    assert result.source_name == "loto6_history.csv"
    assert result.file_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    assert [record.source_row for record in result.records] == [2, 3, 4]
    for record, draw_no in zip(result.records, [2064, 2063, 2062], strict=True):
        assert_matches_shipped(record, "loto6", draw_no)
    first = result.records[0]
    assert first.original["開催回"] == "第2064回"
    assert first.original["第1数字"] == "02"
    assert first.original["1等口数"] == "1口"
    assert first.original["1等賞金"] == "301,716,500円"
    assert result.records[1].original["1等口数"] == "該当なし"


def test_utf8_bom_csv_with_full_width_headers_guesses_the_game_by_count(tmp_path: Path) -> None:
    draws = shipped_draws("miniloto")[:3]
    lines = ["回号,抽選日,数字１,数字２,数字３,数字４,数字５,数字B"]
    for draw in draws:
        lines.append(",".join([str(draw["round"]), draw["date"], *map(str, draw["numbers"]), str(draw["bonus"][0])]))
    path = write_file(tmp_path, "history.csv", "\n".join(lines), encoding="utf-8-sig")

    result = read_tabular(path)

    assert result.game_code == "miniloto"
    for record, draw in zip(result.records, draws, strict=True):
        assert_matches_shipped(record, "miniloto", draw["round"])
    assert "回号" in result.records[0].original


def test_honsuuji_single_cell_with_two_bonus_columns_tab_separated(tmp_path: Path) -> None:
    draws = shipped_draws("loto7")[:2]
    lines = ["回\t抽せん日\t本数字\tBONUS数字1\tBONUS数字2"]
    separators = [" ", "\u3000"]
    for draw, separator in zip(draws, separators, strict=True):
        numbers = separator.join(f"{number:02d}" for number in draw["numbers"])
        bonus = [str(number) for number in draw["bonus"]]
        lines.append("\t".join([f"第{draw['round']}回", kanji_date(draw["date"]), numbers, *bonus]))
    path = write_file(tmp_path, "loto7.txt", "\n".join(lines))

    result = read_tabular(path)

    assert result.game_code == "loto7"
    for record, draw in zip(result.records, draws, strict=True):
        assert_matches_shipped(record, "loto7", draw["round"])


def test_tousen_bangou_digit_strings_keep_leading_zeros(tmp_path: Path) -> None:
    draw_nos = [6844, 6614, 5583]  # real Numbers4 draws 0017, 0000 and 0030
    lines = ["No,抽せん日,当せん番号"]
    for draw_no in draw_nos:
        draw = shipped_draw("numbers4", draw_no)
        lines.append(f"{draw_no},{draw['date']},{''.join(map(str, draw['numbers']))}")
    path = write_file(tmp_path, "ナンバーズ4.csv", "\n".join(lines), encoding="cp932")

    result = read_tabular(path)

    assert result.game_code == "numbers4"
    assert [record.numbers for record in result.records] == [[0, 0, 1, 7], [0, 0, 0, 0], [0, 0, 3, 0]]
    for record, draw_no in zip(result.records, draw_nos, strict=True):
        assert_matches_shipped(record, "numbers4", draw_no)


def test_tousen_bangou_of_numbers3_guessed_by_digit_count(tmp_path: Path) -> None:
    draw = shipped_draw("numbers3", 5590)  # 017
    path = write_file(tmp_path, "results.csv", f"回別,抽選日,当選番号\n第5590回,{slash_date(draw['date'])},017\n")

    result = read_tabular(path)

    assert result.game_code == "numbers3"
    assert_matches_shipped(result.records[0], "numbers3", 5590)
    assert result.records[0].numbers == [0, 1, 7]


def test_english_numbers_cell_and_round_date_columns(tmp_path: Path) -> None:
    draw = shipped_draws("loto7")[0]
    numbers = " ".join(map(str, draw["numbers"]))
    first_bonus, second_bonus = draw["bonus"]
    text = f'round,date,numbers,b1,b2\n{draw["round"]},{draw["date"]},"{numbers}",{first_bonus},{second_bonus}\n'
    path = write_file(tmp_path, "export.csv", text)

    result = read_tabular(path)

    assert_matches_shipped(result.records[0], "loto7", draw["round"])


def test_headerless_rows_with_trailing_columns_and_eof_row(tmp_path: Path) -> None:
    rows = loto6_sjis_rows([2064, 2063], ['1口,"301,716,500円"', "該当なし,0円"])
    path = write_file(tmp_path, "loto6_raw.csv", "\n".join([*rows, "EOF"]) + "\n", encoding="cp932")

    result = read_tabular(path)

    assert [record.source_row for record in result.records] == [1, 2]
    assert_matches_shipped(result.records[0], "loto6", 2064)
    assert_matches_shipped(result.records[1], "loto6", 2063)
    assert result.records[0].original["col1"] == "第2064回"
    assert result.records[0].original["col10"] == "1口"
    assert result.records[0].original["col11"] == "301,716,500円"
    assert result.records[1].original["col10"] == "該当なし"


def test_headerless_rows_need_a_game(tmp_path: Path) -> None:
    rows = loto6_sjis_rows([2064], ["1口,0円"])
    path = write_file(tmp_path, "download.csv", "\n".join(rows))

    with pytest.raises(IngestError, match="--game"):
        read_tabular(path)

    result = read_tabular(path, game_code="loto6")
    assert_matches_shipped(result.records[0], "loto6", 2064)


def test_headerless_digit_strings_with_game_alias(tmp_path: Path) -> None:
    draw = shipped_draw("numbers3", 6888)  # 089
    path = write_file(tmp_path, "n3.csv", f"6888,{draw['date']},089\n")

    result = read_tabular(path, game_code="ナンバーズ3")

    assert result.game_code == "numbers3"
    assert_matches_shipped(result.records[0], "numbers3", 6888)


def test_trailing_eof_cell_on_the_last_row(tmp_path: Path) -> None:
    draws = shipped_draws("bingo5")[:2]
    lines = ["開催回,抽選日," + ",".join(f"第{index}数字" for index in range(1, 9))]
    for draw in draws:
        lines.append(",".join([str(draw["round"]), draw["date"], *map(str, draw["numbers"])]))
    lines[-1] += ",EOF"
    path = write_file(tmp_path, "bingo5.csv", "\n".join(lines))

    result = read_tabular(path)

    assert len(result.records) == 2
    for record, draw in zip(result.records, draws, strict=True):
        assert_matches_shipped(record, "bingo5", draw["round"])
    assert "EOF" not in result.records[1].original.values()


def test_dates_only_file_gets_draw_numbers_from_the_calendar(tmp_path: Path) -> None:
    # Every 97th Loto6 draw, and all around the skipped Monday 2020-01-06 and the new-year break.
    sampled = [draw for position, draw in enumerate(shipped_draws("loto6")) if position % 97 == 0]
    around_skip = [draw for draw in shipped_draws("loto6") if "2019-12-19" <= draw["date"] <= "2020-01-20"]
    draws = sampled + around_skip
    lines = ["日付,第1数字,第2数字,第3数字,第4数字,第5数字,第6数字,ボーナス数字"]
    for draw in draws:
        lines.append(",".join([slash_date(draw["date"]), *map(str, draw["numbers"]), str(draw["bonus"][0])]))
    path = write_file(tmp_path, "loto6_dates.csv", "\n".join(lines))

    result = read_tabular(path)

    assert [record.draw_no for record in result.records] == [draw["round"] for draw in draws]
    for record, draw in zip(result.records, draws, strict=True):
        assert_matches_shipped(record, "loto6", draw["round"])


def test_dates_only_numbers3_across_calendar_eras(tmp_path: Path) -> None:
    draw_nos = [1, 2, 3, 50, 51, 800, 801, 2500, 6889]
    lines = ["抽せん日,当せん番号"]
    for draw_no in draw_nos:
        draw = shipped_draw("numbers3", draw_no)
        lines.append(f"{kanji_date(draw['date'])},{''.join(map(str, draw['numbers']))}")
    path = write_file(tmp_path, "numbers3.csv", "\n".join(lines))

    result = read_tabular(path)

    for record, draw_no in zip(result.records, draw_nos, strict=True):
        assert_matches_shipped(record, "numbers3", draw_no)


def test_a_date_that_is_not_a_draw_day_is_reported(tmp_path: Path) -> None:
    draw = shipped_draw("loto6", 2064)
    numbers = ",".join(map(str, draw["numbers"]))
    header = "日付,第1数字,第2数字,第3数字,第4数字,第5数字,第6数字,ボーナス数字"
    text = f"{header}\n2025/12/29,{numbers},3\n2025/12/30,{numbers},3\n"
    path = write_file(tmp_path, "loto6.csv", text)

    result = read_tabular(path)

    assert_matches_shipped(result.records[0], "loto6", 2064)
    off_day = result.records[1]
    assert off_day.draw_no is None
    assert off_day.draw_date == dt.date(2025, 12, 30)
    assert off_day.source_row == 3
    assert problem_rules(off_day) == ["date_not_in_calendar"]
    assert "2025-12-30" in off_day.problems[0][1]


def test_unparseable_cells_give_the_right_rule_on_the_right_row(tmp_path: Path) -> None:
    lines = [
        LOTO6_HEADER_SJIS,
        *loto6_sjis_rows([2064], ["1口,0円"]),
        "第X回,2025/12/25,04,28,29,30,38,42,15,1口,0円",
        "第2062回,2025/13/45,01,09,18,24,35,42,08,1口,0円",
        "第2061回,2025/12/18,05,06,1e,21,33,34,40,1口,0円",
        "第2060回,2025/12/15,08,16,,,,,07,1口,0円",
        "第2059回,2025/12/11,01,02,03,04,05,06,x,1口,0円",
    ]
    path = write_file(tmp_path, "loto6.csv", "\n".join(lines))

    records = read_tabular(path).records

    assert [record.source_row for record in records] == [2, 3, 4, 5, 6, 7]
    assert records[0].problems == []
    assert problem_rules(records[1]) == ["unparseable_draw_no"]
    assert records[1].draw_no is None and records[1].numbers == [4, 28, 29, 30, 38, 42]
    assert problem_rules(records[2]) == ["unparseable_date"]
    assert records[2].draw_date is None and records[2].draw_no == 2062
    assert problem_rules(records[3]) == ["unparseable_numbers"]
    assert records[3].numbers is None and "1e" in records[3].problems[0][1]
    assert problem_rules(records[4]) == ["missing_numbers"]
    assert records[4].numbers is None and "第3数字" in records[4].problems[0][1]
    assert problem_rules(records[5]) == ["unparseable_numbers"]
    assert records[5].bonus == [] and records[5].numbers == [1, 2, 3, 4, 5, 6]
    assert all("row" in message for record in records for _, message in record.problems)


def test_empty_numbers_cell_is_missing_numbers(tmp_path: Path) -> None:
    path = write_file(tmp_path, "loto7.csv", "開催回,抽選日,本数字,ボーナス数字\n658,2025/12/26,,\n")

    record = read_tabular(path).records[0]

    assert record.draw_no == 658 and record.numbers is None
    assert problem_rules(record) == ["missing_numbers"]


def test_game_code_given_overrides_the_file_name_and_source_name_is_kept(tmp_path: Path) -> None:
    draw = shipped_draw("loto7", 658)
    numbers = " ".join(map(str, draw["numbers"]))
    path = write_file(tmp_path, "loto6.csv", f"開催回,抽選日,本数字,ボーナス数字\n658,{draw['date']},{numbers},11 20\n")

    result = read_tabular(path, game_code="loto7", source_name="upload-17.csv")

    assert result.game_code == "loto7"
    assert result.source_name == "upload-17.csv"
    assert_matches_shipped(result.records[0], "loto7", 658)


# --------------------------------------------------------------------------- JSON variants


def test_shipped_json_reads_fast_and_exactly() -> None:
    path = settings.project_dir() / get_game("numbers3").history_file
    started = time.perf_counter()
    result = read_tabular(path)
    elapsed = time.perf_counter() - started

    assert elapsed < 0.8
    assert result.source_kind == "json"
    assert result.game_code == "numbers3"
    draws = shipped_draws("numbers3")
    assert len(result.records) == len(draws) == 6889
    assert [record.source_row for record in result.records[:3]] == [1, 2, 3]
    for record, draw in zip(result.records, draws, strict=True):
        assert (
            record.draw_no,
            record.draw_date.isoformat(),
            record.numbers,
            record.bonus,
            record.problems,
        ) == (
            draw["round"],
            draw["date"],
            draw["numbers"],
            draw["bonus"],
            [],
        )
    assert result.records[0].original == draws[0]


def test_json_objects_with_japanese_keys_and_string_values(tmp_path: Path) -> None:
    draws = shipped_draws("loto6")[:2]
    objects = [
        {
            "開催回": f"第{draw['round']}回",
            "抽選日": slash_date(draw["date"]),
            **{f"第{index}数字": f"{number:02d}" for index, number in enumerate(draw["numbers"], start=1)},
            "ボーナス数字": draw["bonus"][0],
            "1等賞金": "301,716,500円",
        }
        for draw in draws
    ]
    path = write_file(tmp_path, "export.json", json.dumps(objects, ensure_ascii=False))

    result = read_tabular(path)

    assert result.game_code == "loto6"
    for record, draw in zip(result.records, draws, strict=True):
        assert_matches_shipped(record, "loto6", draw["round"])
    assert result.records[0].original["1等賞金"] == "301,716,500円"


def test_json_objects_with_english_keys_and_numeric_digit_string(tmp_path: Path) -> None:
    objects = [
        {"draw_no": 6844, "draw_date": "2025-10-28", "当せん番号": 17},
        {"draw_no": 6614, "date": "x", "当せん番号": "0000"},
    ]
    path = write_file(tmp_path, "numbers4.json", json.dumps(objects, ensure_ascii=False))

    records = read_tabular(path).records

    assert_matches_shipped(records[0], "numbers4", 6844)
    assert records[1].numbers == [0, 0, 0, 0]
    assert records[1].source_row == 2


@pytest.mark.parametrize("wrapper_key", ["draws", "data", "results", "items"])
def test_json_object_wrapping_the_draws(tmp_path: Path, wrapper_key: str) -> None:
    draws = list(shipped_draws("bingo5")[:3])
    document = {"game": "Bingo5", "updated": "2025-12-31", wrapper_key: draws}
    path = write_file(tmp_path, "export.json", json.dumps(document))

    result = read_tabular(path)

    assert result.game_code == "bingo5"
    assert [record.source_row for record in result.records] == [1, 2, 3]
    for record, draw in zip(result.records, draws, strict=True):
        assert_matches_shipped(record, "bingo5", draw["round"])


def test_json_with_unparseable_values(tmp_path: Path) -> None:
    objects = [{"round": "abc", "date": "2025-12-29", "numbers": [2, 7, "x", 37, 39, 41], "bonus": [3]}]
    path = write_file(tmp_path, "loto6.json", json.dumps(objects))

    record = read_tabular(path).records[0]

    assert record.source_row == 1
    assert problem_rules(record) == ["unparseable_draw_no", "unparseable_numbers"]
    assert record.draw_no is None and record.numbers is None and record.bonus == [3]


# --------------------------------------------------------------------------- files that cannot be read


def test_empty_file_is_an_ingest_error(tmp_path: Path) -> None:
    path = write_file(tmp_path, "loto6.csv", "\n\n")
    with pytest.raises(IngestError, match=r"loto6\.csv.*empty"):
        read_tabular(path)


def test_file_without_recognisable_columns_names_the_file_and_the_vocabulary_seed(tmp_path: Path) -> None:
    path = write_file(tmp_path, "loto6.csv", "name,price\napple,100\n")
    with pytest.raises(IngestError, match=r"loto6\.csv: no recognisable columns") as raised:
        read_tabular(path)
    assert "開催回" in str(raised.value) and "draw_no" in str(raised.value)
    assert f"seeds/{HEADER_VOCABULARY_SEED}" in str(raised.value)


def test_game_that_cannot_be_guessed(tmp_path: Path) -> None:
    numbers_header = ",".join(f"n{index}" for index in range(1, 11))
    path = write_file(tmp_path, "export.csv", f"draw_no,date,{numbers_header}\n1,2020-01-01,{numbers_header}\n")
    with pytest.raises(IngestError, match="--game"):
        read_tabular(path)


def test_unknown_game_code(tmp_path: Path) -> None:
    path = write_file(tmp_path, "x.csv", "開催回,日付,本数字\n1,2000/10/5,1 2 3 4 5 6\n")
    with pytest.raises(IngestError, match="unknown game 'loto8'"):
        read_tabular(path, game_code="loto8")


def test_json_without_a_draw_array(tmp_path: Path) -> None:
    path = write_file(tmp_path, "loto6.json", json.dumps({"status": "ok", "count": 0}))
    with pytest.raises(IngestError, match=r"loto6\.json: the JSON holds no array of draws"):
        read_tabular(path)


def test_broken_json(tmp_path: Path) -> None:
    path = write_file(tmp_path, "loto6.json", '[{"round": 1, ')
    with pytest.raises(IngestError, match="not valid JSON"):
        read_tabular(path)


# --------------------------------------------------------------------------- the header vocabulary seed


def seed_rows() -> list[dict[str, str]]:
    with open(settings.seeds_dir() / HEADER_VOCABULARY_SEED, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_header_of_the_seed_classifies_as_its_field() -> None:
    rows = seed_rows()
    assert len(rows) > 50
    for row in rows:
        header, position = row["header"].replace("{n}", "3"), 3 if "{n}" in row["header"] else 0
        assert classify_column(header) == ColumnRole(row["field"], position), row


@pytest.mark.parametrize(
    ("draw_no", "date", "number", "bonus"),
    [
        ("draw_id", "draw_date", "number{n}", "bonus_number"),
        ("draw_no", "draw_date", "n{n}", "bonus"),
        ("draw_number", "draw_date", "number_{n}", "bonus_number{n}"),
        ("DrawNumber", "DrawDate", "Ball {n}", "Bonus Ball"),
        ("draw_no", "Draw Date", "main_number_{n}", "bonus_ball"),
    ],
)
def test_english_snake_case_headers_that_circulate(
    tmp_path: Path, draw_no: str, date: str, number: str, bonus: str
) -> None:
    draws = shipped_draws("loto6")[:3]
    header = [draw_no, date, *(number.replace("{n}", str(index)) for index in range(1, 7)), bonus.replace("{n}", "1")]
    lines = [",".join(header)]
    for draw in draws:
        lines.append(",".join([str(draw["round"]), draw["date"], *map(str, draw["numbers"]), str(draw["bonus"][0])]))
    path = write_file(tmp_path, "export.csv", "\n".join(lines))

    result = read_tabular(path)

    assert result.game_code == "loto6"
    for record, draw in zip(result.records, draws, strict=True):
        assert_matches_shipped(record, "loto6", draw["round"])


def test_english_digit_columns_and_winning_number_cell(tmp_path: Path) -> None:
    draw_nos = [6844, 6614]  # real Numbers4 draws 0017 and 0000
    digits = ["draw_number,draw_date,digit1,digit2,digit3,digit4"]
    single_cell = ["draw_no,draw_date,winning_number"]
    for draw_no in draw_nos:
        draw = shipped_draw("numbers4", draw_no)
        digits.append(",".join([str(draw_no), draw["date"], *map(str, draw["numbers"])]))
        single_cell.append(f"{draw_no},{draw['date']},{''.join(map(str, draw['numbers']))}")

    for lines in (digits, single_cell):
        result = read_tabular(write_file(tmp_path, "numbers4.csv", "\n".join(lines)))
        assert result.game_code == "numbers4"
        for record, draw_no in zip(result.records, draw_nos, strict=True):
            assert_matches_shipped(record, "numbers4", draw_no)


def project_copy(tmp_path: Path) -> Path:
    """A copy of the project's seeds (and its dbt_project.yml, which marks a project folder)."""
    project = tmp_path / "project"
    shutil.copytree(settings.seeds_dir(), project / "seeds")
    shutil.copy2(settings.project_dir() / "dbt_project.yml", project / "dbt_project.yml")
    return project


def append_seed_rows(project: Path, rows: list[dict[str, str]]) -> None:
    with open(project / "seeds" / HEADER_VOCABULARY_SEED, "a", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["header", "field", "language", "note"])
        writer.writerows(rows)


def test_a_header_added_to_the_seed_is_read_without_code_changes(tmp_path: Path, monkeypatch) -> None:
    draws = shipped_draws("loto6")[:2]
    lines = ["Ziehung,Datum," + ",".join(f"Zahl {index}" for index in range(1, 7)) + ",Zusatzzahl"]
    for draw in draws:
        lines.append(",".join([str(draw["round"]), draw["date"], *map(str, draw["numbers"]), str(draw["bonus"][0])]))
    path = write_file(tmp_path, "loto6_de.csv", "\n".join(lines))
    project = project_copy(tmp_path)
    monkeypatch.setenv("FCAST_PROJECT_DIR", str(project))

    with pytest.raises(IngestError, match=r"loto6_de\.csv: no recognisable columns"):
        read_tabular(path)

    append_seed_rows(
        project,
        [
            {"header": "Ziehung", "field": "draw_no", "language": "de", "note": ""},
            {"header": "Datum", "field": "date", "language": "de", "note": ""},
            {"header": "Zahl {n}", "field": "number", "language": "de", "note": ""},
            {"header": "Zusatzzahl", "field": "bonus", "language": "de", "note": ""},
        ],
    )
    result = read_tabular(path)

    assert result.game_code == "loto6"
    for record, draw in zip(result.records, draws, strict=True):
        assert_matches_shipped(record, "loto6", draw["round"])
    assert result.records[0].original["Zahl 1"] == str(draws[0]["numbers"][0])


@pytest.mark.parametrize(
    ("row", "complaint"),
    [
        ({"header": "Zahl", "field": "nummer", "language": "de"}, r"give a header and a field"),
        ({"header": "Zahl", "field": "number", "language": "de"}, r"holds \{n\} once"),
        ({"header": "Datum {n}", "field": "date", "language": "de"}, r"holds \{n\} once"),
        ({"header": "{n}", "field": "bonus", "language": "de"}, r"next to some text"),
        ({"header": "Draw-Date", "field": "draw_no", "language": "en"}, r"means date in row \d+ already"),
    ],
)
def test_a_bad_row_in_the_seed_is_named_with_its_row(
    tmp_path: Path, monkeypatch, row: dict[str, str], complaint: str
) -> None:
    project = project_copy(tmp_path)
    append_seed_rows(project, [{**row, "note": ""}])
    monkeypatch.setenv("FCAST_PROJECT_DIR", str(project))
    path = write_file(tmp_path, "loto6.csv", "開催回,日付,本数字\n1,2000/10/5,1 2 3 4 5 6\n")
    row_number = len(seed_rows()) + 1

    with pytest.raises(IngestError, match=rf"{HEADER_VOCABULARY_SEED} row {row_number} .*{complaint}"):
        read_tabular(path)
