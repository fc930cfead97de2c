"""Data page: what the warehouse holds, and uploads checked like `fcast ingest` before they are stored."""

from __future__ import annotations

import altair as alt
import streamlit as st

from fcast.games import load_games
from fcast.ui import reads, uploads
from fcast.ui.widgets import require_marts

AUTO_GAME = "detect from the file"


def _overview() -> None:
    counts = reads.frame(
        "select game_code, count(*) as draws, min(draw_date) as first_draw, max(draw_date) as last_draw "
        "from staging.stg_raw__lottery_draws group by game_code order by game_code"
    )
    st.subheader("Draws per game")
    if counts.empty:
        st.info("No draws yet: upload a file below or run `fcast ingest`.")
    else:
        left, right = st.columns([2, 3])
        left.dataframe(counts, hide_index=True)
        right.altair_chart(
            alt.Chart(counts).mark_bar().encode(x="draws:Q", y=alt.Y("game_code:N", sort="-x"), tooltip=list(counts)),
            width="stretch",
        )
    issues = reads.frame(
        "select subject, source_name, source_row, issue_kind, rule, message, loaded_at from marts.mart_ingest_issues "
        "order by loaded_at desc, source_name, source_row limit 500"
    )
    with st.expander(f"Rows kept aside by ingestion ({len(issues)} shown)", expanded=False):
        st.dataframe(issues, hide_index=True)


def _upload_form() -> tuple[str, str | None, str]:
    kind_label = st.radio(
        "What are you uploading?",
        ["Draw results (CSV, JSON or an HTML result page)", "A unique_id, ds, y panel (CSV or Parquet)"],
        key="upload_kind",
    )
    kind = uploads.DRAWS if kind_label.startswith("Draw") else uploads.PANEL
    game_code, dataset_name = None, ""
    if kind == uploads.DRAWS:
        game = st.selectbox("Game", [AUTO_GAME, *sorted(load_games())], key="upload_game")
        game_code = None if game == AUTO_GAME else game
    else:
        dataset_name = st.text_input(
            "Dataset name (lowercase letters, digits, _; it prefixes every unique_id)", "my_panel", key="upload_dataset"
        )
    return kind, game_code, dataset_name


def _show_check(check: uploads.UploadCheck) -> None:
    if check.error:
        st.error(check.error, icon=":material/error:")
        return
    st.write(check.summary)
    problems = check.problems
    if problems.empty:
        st.success(
            f"No problems: {check.would_add} new row(s), {check.already_known} already stored.",
            icon=":material/check_circle:",
        )
    else:
        st.warning(
            f"{len(problems)} problem(s) in {problems['row'].nunique()} row(s). Those rows will not be stored as "
            f"draws; they are kept with their reason. {check.would_add} row(s) pass.",
            icon=":material/warning:",
        )
        st.dataframe(problems, hide_index=True)


def _store(name: str, data: bytes, kind: str, game_code: str | None, dataset_name: str) -> None:
    with st.spinner("Storing and rebuilding the models that read it (dbt build) …"):
        stored = uploads.store_upload(name, data, kind, game_code, dataset_name)
    st.session_state["last_upload"] = stored


def render_data() -> None:
    st.title("Data")
    if not require_marts("marts.mart_ingest_issues"):
        return
    _overview()
    st.subheader("Upload")
    st.caption(
        f"Every row is checked with the rules of `fcast ingest` before anything is stored; files up to "
        f"{uploads.MAX_UPLOAD_MB:.0f} MB."
    )
    kind, game_code, dataset_name = _upload_form()
    allowed = uploads.DRAW_SUFFIXES if kind == uploads.DRAWS else uploads.PANEL_SUFFIXES
    uploaded = st.file_uploader("File", key=f"upload_file_{kind}", help=f"accepted: {', '.join(allowed)}")
    if uploaded is not None:
        data = uploaded.getvalue()
        check = uploads.check_upload(uploaded.name, data, kind, game_code, dataset_name)
        _show_check(check)
        if check.storable:
            kept = (
                f"; {check.problems['row'].nunique()} row(s) kept aside with their reason"
                if len(check.problems)
                else ""
            )
            st.button(
                f"Store {uploaded.name}",
                help=f"{check.would_add} new row(s){kept}",
                type="primary",
                on_click=_store,
                args=(uploaded.name, data, kind, game_code, dataset_name),
            )
    stored = st.session_state.get("last_upload")
    if stored is not None:
        (st.success if stored.rebuild_ok else st.error)(
            f"Stored: {stored.summary}. Models rebuilt: {'yes' if stored.rebuild_ok else 'dbt build FAILED'}."
        )
        if not stored.rebuild_ok:
            st.code(stored.rebuild_output)
