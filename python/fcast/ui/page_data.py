"""Data page: what the warehouse holds, and uploads checked like `fcast ingest` before they are stored."""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import streamlit as st

from fcast.games import load_games
from fcast.ingest.records import IngestError
from fcast.ui import charts, reads, uploads
from fcast.ui.widgets import registry_facts, require_marts

AUTO_GAME = "detect from the file"
KIND_LABELS = {
    uploads.DRAWS: "Draw results (CSV, JSON or an HTML result page)",
    uploads.PANEL: "A unique_id, ds, y panel (CSV or Parquet)",
    uploads.PANEL_FUTR: "Future values of a panel's fut_ columns (futr file: unique_id, ds, fut_...)",
}
GAP_POLICIES = {
    "reject": "reject the series (name its missing timestamps)",
    "interpolate": "interpolate (linear, between known values)",
    "ffill": "ffill (carry the last value forward)",
    "bfill": "bfill (carry the next value back)",
    "value": "a value (fill y with a number)",
}
SHOWN_SERIES = 8


def _draws_overview() -> None:
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


def _panel_datasets() -> None:
    panels = reads.frame(
        "select dataset, time_kind, freq, season_length, series_count, observations, filled_observations, "
        "first_ds_time, last_ds_time, first_ds, last_ds from marts.mart_datasets where dataset_kind = 'panel' "
        "order by dataset"
    )
    st.subheader("Panel datasets")
    if panels.empty:
        st.caption("No panels yet: upload a unique_id, ds, y file below or run `fcast ingest --panel NAME FILE`.")
        return
    st.dataframe(panels, hide_index=True)
    columns = st.columns([1, 3])
    dataset = columns[0].selectbox("Panel", list(panels["dataset"]), key="data_panel")
    axis = panels.set_index("dataset").loc[dataset]
    observed = reads.frame(
        "select unique_id, ds, ds_time, y, filled_by from marts.fct_series_long where dataset = ? "
        "order by unique_id, ds",
        (dataset,),
    )
    series = sorted(observed["unique_id"].unique())
    chosen = columns[1].multiselect(
        "Series", series, default=series[:SHOWN_SERIES], key=f"data_panel_series_{dataset}", placeholder="choose"
    )
    shown = observed[observed["unique_id"].isin(chosen)]
    if shown.empty:
        return
    st.altair_chart(
        charts.panel_series_chart(shown, dates=axis["freq"] if axis["time_kind"] == "date" else False), width="stretch"
    )
    filled = int(axis["filled_observations"])
    st.caption(
        f"{dataset}: {axis['time_kind']} axis, freq {axis['freq']}, season length {axis['season_length']}"
        + (f"; {filled} filled observation(s), drawn as crosses" if filled else "")
    )


def _overview() -> None:
    _draws_overview()
    _panel_datasets()
    issues = reads.frame(
        "select subject, source_name, source_row, issue_kind, rule, message, loaded_at from marts.mart_ingest_issues "
        "order by loaded_at desc, source_name, source_row limit 500"
    )
    with st.expander(f"Rows kept aside by ingestion ({len(issues)} shown)", expanded=False):
        st.dataframe(issues, hide_index=True)


@dataclass
class UploadForm:
    kind: str
    game_code: str | None = None
    dataset_name: str = ""
    freq: str = ""
    fill_gaps: str = "reject"
    season_length: int | None = None

    def options(self):
        """The panel's PanelOptions (IngestError for a gap policy ingest does not know)."""
        return (
            uploads.panel_options(self.freq, self.fill_gaps, self.season_length) if self.kind == uploads.PANEL else None
        )


def _panel_names() -> list[str]:
    return reads.options("select dataset from marts.mart_datasets where dataset_kind = 'panel'")


def _panel_fields(form: UploadForm) -> None:
    form.dataset_name = st.text_input(
        "Dataset name (lowercase letters, digits, _; it prefixes every unique_id)", "my_panel", key="upload_dataset"
    )
    columns = st.columns(3)
    form.freq = columns[0].text_input(
        "Frequency of ds (optional)",
        "",
        key="upload_freq",
        placeholder="inferred from the dates",
        help="a pandas frequency (D, W-SUN, MS, ME, QS, h, 15min) or an integer step for integer ds; "
        "empty: inferred from the file (as `fcast ingest --panel --freq`)",
    )
    policy = columns[1].selectbox(
        "Missing timestamps",
        list(GAP_POLICIES),
        format_func=GAP_POLICIES.get,
        key="upload_gaps",
        help="what to do with a timestamp missing inside a series (`--fill-gaps`); filled rows are flagged in "
        "filled_by",
    )
    if policy == "value":
        value = columns[1].number_input("Fill value for y", value=0.0, key="upload_gap_value")
        policy = f"value:{value:g}"
    form.fill_gaps = policy
    season = columns[2].number_input(
        "Season length (optional)",
        min_value=1,
        value=None,
        step=1,
        key="upload_season",
        placeholder="from the frequency",
        help="periods per season for seasonal naive (12 for monthly data); empty: from the frequency",
    )
    form.season_length = int(season) if season else None


def _upload_form() -> UploadForm:
    kind = st.radio("What are you uploading?", list(KIND_LABELS), format_func=KIND_LABELS.get, key="upload_kind")
    form = UploadForm(kind)
    if kind == uploads.DRAWS:
        game = st.selectbox("Game", [AUTO_GAME, *sorted(load_games())], key="upload_game")
        form.game_code = None if game == AUTO_GAME else game
    elif kind == uploads.PANEL:
        _panel_fields(form)
    else:
        names = _panel_names()
        if not names:
            st.info("No panel dataset yet: upload its observations first (a unique_id, ds, y panel).")
        form.dataset_name = st.selectbox("Panel dataset", names, key="upload_futr_dataset") or ""
    return form


def _show_check(check: uploads.UploadCheck) -> None:
    if check.error:
        st.error(check.error, icon=":material/error:")
        return
    st.write(check.summary)
    if check.time_axis:
        source = f" ({check.time_axis_source})" if check.time_axis_source else ""
        st.info(f"Time axis: {check.time_axis}{source}", icon=":material/schedule:")
    if check.gap_lines:
        rejected = not check.fill_method
        hint = "\n\nIn this form: choose how to fill them under **Missing timestamps** above." if rejected else ""
        (st.warning if rejected else st.info)(
            "Missing timestamps:\n\n" + "\n".join(f"- {line}" for line in check.gap_lines) + hint,
            icon=":material/event_busy:",
        )
    problems = check.problems
    stored_as = {uploads.DRAWS: "draws", uploads.PANEL: "observations"}.get(check.kind, "future values")
    if problems.empty:
        st.success(
            f"No problems: {check.would_add} new row(s), {check.already_known} already stored.",
            icon=":material/check_circle:",
        )
    else:
        st.warning(
            f"{len(problems)} problem(s) in {problems['row'].nunique()} row(s). Those rows will not be stored as "
            f"{stored_as}; they are kept with their reason. {check.would_add} row(s) pass.",
            icon=":material/warning:",
        )
        st.dataframe(problems, hide_index=True)


def _store(name: str, data: bytes, form: UploadForm) -> None:
    with st.spinner("Storing and rebuilding the models that read it (dbt build) …"):
        stored = uploads.store_upload(name, data, form.kind, form.game_code, form.dataset_name, form.options())
    registry_facts.clear()  # the Plan page offers the new dataset, its series and columns at once
    st.session_state["last_upload"] = stored


def render_data() -> None:
    st.title("Data")
    if not require_marts("marts.mart_ingest_issues", "marts.mart_datasets"):
        return
    _overview()
    st.subheader("Upload")
    st.caption(
        f"Every row is checked with the rules of `fcast ingest` before anything is stored; files up to "
        f"{uploads.max_upload_mb():.0f} MB."
    )
    form = _upload_form()
    allowed = uploads.DRAW_SUFFIXES if form.kind == uploads.DRAWS else uploads.PANEL_SUFFIXES
    uploaded = st.file_uploader("File", key=f"upload_file_{form.kind}", help=f"accepted: {', '.join(allowed)}")
    if uploaded is not None:
        data = uploaded.getvalue()
        try:
            options = form.options()
        except IngestError as error:
            check = uploads.UploadCheck(uploaded.name, form.kind, error=str(error))
        else:
            check = uploads.check_upload(uploaded.name, data, form.kind, form.game_code, form.dataset_name, options)
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
                args=(uploaded.name, data, form),
            )
    stored = st.session_state.get("last_upload")
    if stored is not None:
        (st.success if stored.rebuild_ok else st.error)(
            f"Stored: {stored.summary}. Models rebuilt: {'yes' if stored.rebuild_ok else 'dbt build FAILED'}."
        )
        if not stored.rebuild_ok:
            st.code(stored.rebuild_output)
