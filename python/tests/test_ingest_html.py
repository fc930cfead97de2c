"""The results-page reader, on the real pages in fixtures/pages and small hand-written pages."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

from fcast import settings
from fcast.games import get_game
from fcast.ingest.html_pages import read_html
from fcast.ingest.records import DrawRecord, IngestError

pytestmark = pytest.mark.fast

PAGES = Path(__file__).parent / "fixtures" / "pages"
RENDERED_NUMBERS_PAGE = PAGES / "numbers-results-rendered.html"
MINILOTO_JS_SHELL = PAGES / "miniloto-results-js-shell.html"
RENDERED_DRAW_NOS = list(range(5581, 5599))


@cache
def shipped_draws_by_no(game_code: str) -> dict[int, dict[str, Any]]:
    history = settings.project_dir() / get_game(game_code).history_file
    return {draw["round"]: draw for draw in json.loads(history.read_text(encoding="utf-8"))}


def assert_matches_shipped(record: DrawRecord, game_code: str, draw_no: int) -> None:
    expected = shipped_draws_by_no(game_code)[draw_no]
    assert record.game_code == game_code
    assert record.draw_no == draw_no
    assert record.draw_date == dt.date.fromisoformat(expected["date"])
    assert record.numbers == expected["numbers"]
    assert record.bonus == expected["bonus"]
    assert record.problems == []


def kanji_date(iso_date: str) -> str:
    day = dt.date.fromisoformat(iso_date)
    return f"{day.year}年{day.month}月{day.day}日"


def records_of(records: list[DrawRecord], game_code: str) -> list[DrawRecord]:
    return [record for record in records if record.game_code == game_code]


# --------------------------------------------------------------------------- the real pages


def test_rendered_numbers_page_gives_exactly_the_shipped_draws_of_both_games() -> None:
    result = read_html(RENDERED_NUMBERS_PAGE)

    assert result.game_code is None
    assert result.source_kind == "html"
    assert result.source_name == "numbers-results-rendered.html"
    assert result.file_hash == hashlib.sha256(RENDERED_NUMBERS_PAGE.read_bytes()).hexdigest()
    assert len(result.records) == 36
    for game_code in ("numbers3", "numbers4"):
        records = records_of(result.records, game_code)
        assert [record.draw_no for record in records] == RENDERED_DRAW_NOS
        for record in records:
            assert_matches_shipped(record, game_code, record.draw_no)  # type: ignore[arg-type]


def test_rendered_page_keeps_leading_zero_digits_and_the_row_cells() -> None:
    result = read_html(RENDERED_NUMBERS_PAGE)
    by_key = {(record.game_code, record.draw_no): record for record in result.records}

    assert by_key[("numbers4", 5583)].numbers == [0, 0, 3, 0]
    assert by_key[("numbers3", 5590)].numbers == [0, 1, 7]
    assert by_key[("numbers3", 5581)].draw_date == dt.date(2020, 12, 7)
    assert by_key[("numbers3", 5581)].original["回別"] == "第5581回"
    assert by_key[("numbers4", 5581)].original["ナンバーズ4 抽せん数字"] == "2819"
    rows_of_numbers3 = [record.source_row for record in records_of(result.records, "numbers3")]
    assert rows_of_numbers3 == sorted(rows_of_numbers3) and rows_of_numbers3[0] == 2


def test_rendered_page_with_a_game_keeps_only_that_game() -> None:
    result = read_html(RENDERED_NUMBERS_PAGE, game_code="numbers4")

    assert result.game_code == "numbers4"
    assert [record.draw_no for record in result.records] == RENDERED_DRAW_NOS
    assert {record.game_code for record in result.records} == {"numbers4"}


def test_rendered_page_asked_for_a_game_it_does_not_hold() -> None:
    with pytest.raises(IngestError, match="no draw results of Loto6"):
        read_html(RENDERED_NUMBERS_PAGE, game_code="loto6")


def test_phone_layout_tables_alone_give_the_same_draws() -> None:
    soup = BeautifulSoup(RENDERED_NUMBERS_PAGE.read_bytes(), "lxml")
    for table in soup.find_all("table"):
        if "js-lottery-backnumber-temp-sp" not in (table.get("class") or []):
            table.decompose()

    result = read_html(Path("phone-only.html"), data=str(soup).encode("utf-8"))

    assert result.source_name == "phone-only.html"
    assert len(result.records) == 36
    for record in result.records:
        assert_matches_shipped(record, record.game_code, record.draw_no)  # type: ignore[arg-type]


def test_javascript_shell_page_is_an_ingest_error_that_says_why() -> None:
    with pytest.raises(IngestError) as raised:
        read_html(MINILOTO_JS_SHELL)

    message = str(raised.value)
    assert message.startswith("miniloto-results-js-shell.html:")
    assert "JavaScript" in message
    assert "js-lottery-number-pc" in message
    assert "CSV" in message


def test_javascript_shell_given_as_bytes_is_named_by_the_path() -> None:
    with pytest.raises(IngestError, match=r"^fetched\.html: .*JavaScript"):
        read_html(Path("fetched.html"), data=MINILOTO_JS_SHELL.read_bytes())


# --------------------------------------------------------------------------- hand-written simple layouts


def loto6_back_number_page(draw_nos: list[int], numbers_in_one_cell: bool) -> str:
    rows = []
    for draw_no in draw_nos:
        draw = shipped_draws_by_no("loto6")[draw_no]
        if numbers_in_one_cell:
            numbers = "<td>" + " ".join(f"{number:02d}" for number in draw["numbers"]) + "</td>"
        else:
            numbers = "".join(f"<td>{number:02d}</td>" for number in draw["numbers"])
        rows.append(
            f"<tr><th>第{draw_no}回</th><td>{kanji_date(draw['date'])}</td>{numbers}"
            f"<td>({draw['bonus'][0]:02d})</td></tr>"
        )
    numbers_header = '<th colspan="6">本数字</th>' if not numbers_in_one_cell else "<th>本数字</th>"
    return (
        "<html><head><meta charset='utf-8'><title>ロト6 当せん番号</title></head><body><table>"
        f"<tr><th>回別</th><th>抽せん日</th>{numbers_header}<th>ボーナス数字</th></tr>"
        + "".join(rows)
        + "</table></body></html>"
    )


@pytest.mark.parametrize("numbers_in_one_cell", [False, True])
def test_back_number_table_with_bonus_in_parentheses(tmp_path: Path, numbers_in_one_cell: bool) -> None:
    path = tmp_path / "results.html"
    path.write_text(loto6_back_number_page([2064, 2063, 2062], numbers_in_one_cell), encoding="utf-8")

    result = read_html(path)

    assert result.game_code == "loto6"
    assert [record.source_row for record in result.records] == [2, 3, 4]
    for record, draw_no in zip(result.records, [2064, 2063, 2062], strict=True):
        assert_matches_shipped(record, "loto6", draw_no)


def test_shift_jis_page_is_decoded_from_its_meta_charset(tmp_path: Path) -> None:
    page = loto6_back_number_page([2064], numbers_in_one_cell=True).replace(
        "<meta charset='utf-8'>", "<meta http-equiv='Content-Type' content='text/html; charset=Shift_JIS'>"
    )
    path = tmp_path / "loto6.html"
    path.write_bytes(page.encode("cp932"))

    result = read_html(path)

    assert_matches_shipped(result.records[0], "loto6", 2064)


def test_vertical_per_draw_table_with_bonus_cell_class(tmp_path: Path) -> None:
    draw = shipped_draws_by_no("miniloto")[1367]
    number_cells = "".join(
        f'<td><p><b class="js-lottery-number-pc">{number:02d}</b></p></td>' for number in draw["numbers"]
    )
    page = (
        "<html><body><table class='js-lottery-temp-pc'>"
        f"<tr><th>回別</th><th class='js-lottery-issue-pc' colspan='6'>第{draw['round']}回</th></tr>"
        f"<tr><th>抽せん日</th><td colspan='6'><p>{kanji_date(draw['date'])}</p></td></tr>"
        "<tr><th>本数字 <span>( )はボーナス数字</span></th>"
        f"{number_cells}<td><b class='js-lottery-bonus-pc'>{draw['bonus'][0]:02d}</b></td></tr>"
        "<tr><th>1等</th><td colspan='3'>3口</td><td colspan='3'>10,000,000円</td></tr>"
        "</table></body></html>"
    )
    path = tmp_path / "ミニロト.html"
    path.write_text(page, encoding="utf-8")

    result = read_html(path)

    assert result.game_code == "miniloto"
    assert len(result.records) == 1
    assert_matches_shipped(result.records[0], "miniloto", 1367)
    assert result.records[0].source_row == 1


def test_page_game_is_guessed_from_the_count_of_numbers(tmp_path: Path) -> None:
    draw = shipped_draws_by_no("loto7")[658]
    numbers = "".join(f"<td>{number}</td>" for number in draw["numbers"])
    bonus = " ".join(f"({number})" for number in draw["bonus"])
    page = (
        "<table><tr><th>回別</th><th>抽せん日</th><th colspan='7'>本数字</th><th>ボーナス数字</th></tr>"
        f"<tr><td>第658回</td><td>{draw['date']}</td>{numbers}<td>{bonus}</td></tr></table>"
    )

    result = read_html(Path("page.html"), data=page.encode("utf-8"))

    assert_matches_shipped(result.records[0], "loto7", 658)


def test_bad_cells_on_a_page_become_problems(tmp_path: Path) -> None:
    page = (
        "<html><head><title>ロト6</title></head><body><table>"
        "<tr><th>回別</th><th>抽せん日</th><th>本数字</th><th>ボーナス数字</th></tr>"
        "<tr><td>第2064回</td><td>2025年12月29日</td><td>02 07 24 37 39 41</td><td>(03)</td></tr>"
        "<tr><td>第?回</td><td>2025年12月25日</td><td>04 28 ** 30 38 42</td><td>(15)</td></tr>"
        "</table></body></html>"
    )

    result = read_html(Path("page.html"), data=page.encode("utf-8"))

    assert_matches_shipped(result.records[0], "loto6", 2064)
    broken = result.records[1]
    assert broken.source_row == 3
    assert [rule for rule, _ in broken.problems] == ["unparseable_draw_no", "unparseable_numbers"]
    assert broken.draw_date == dt.date(2025, 12, 25) and broken.bonus == [15]


def test_page_without_a_results_table_is_an_ingest_error(tmp_path: Path) -> None:
    path = tmp_path / "loto6.html"
    path.write_text("<html><body><p>メンテナンス中です</p><table><tr><td>a</td></tr></table></body></html>")

    with pytest.raises(IngestError, match=r"^loto6\.html: no draw results found on this page"):
        read_html(path)


def test_empty_page_is_an_ingest_error() -> None:
    with pytest.raises(IngestError, match="empty"):
        read_html(Path("blank.html"), data=b"  \n")
