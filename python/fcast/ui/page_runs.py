"""Runs page: start training or a search, watch it live, cancel it, browse history, open a run."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import streamlit as st

from fcast import settings
from fcast.plans.spec import PlanFormatError, load_plan_file
from fcast.ui import charts, jobs, reads
from fcast.ui.widgets import apply_filter, multiselect_filter, require_marts

LIVE_REFRESH_S = 2
RUN_COLUMNS = (
    "run_id, run_kind, plan_name, run_name, dataset, series_selector, model_name, backend, status, "
    "created_at, start_time, end_time, duration_seconds, heartbeat_at, error_type, error_message, accelerator"
)


def _start_section() -> None:
    st.subheader("Start training or a search")
    files = [str(path) for path in settings.plan_files()]
    if not files:
        st.info("No plan files yet: save one on the Plan page or run `fcast plan --game loto6`.")
        return
    plan_file = st.selectbox("Plan file", files, key="runs_plan")
    try:
        rows = load_plan_file(Path(plan_file))
    except PlanFormatError as error:
        st.error(str(error))
        return
    names = [row.run_name for row in rows]
    chosen = st.multiselect("Runs (rows) to train", names, default=names, key="runs_rows")
    searches = [row.run_name for row in rows if row.run_name in chosen and row.backend]
    if searches:
        st.caption(f"Hyperparameter search rows: {', '.join(searches)}")
    if st.button("Start", type="primary", disabled=not chosen, key="runs_start"):
        job = jobs.start_training(Path(plan_file), chosen)
        st.success(f"Started job {job.job_id} (pid {job.pid}): {len(chosen)} run(s). It appears below.")


def _live_runs() -> pd.DataFrame:
    return reads.frame(
        f"select {RUN_COLUMNS} from staging.stg_raw__nf_model_runs where status in ('PENDING', 'RUNNING') "
        "order by created_at desc"
    )


def _cancel(run_id: str) -> None:
    try:
        st.session_state["runs_cancel"] = ("ok", jobs.cancel_run(run_id))
    except jobs.CancelError as error:
        st.session_state["runs_cancel"] = ("error", str(error))


def _samples(run_id: str) -> pd.DataFrame:
    return reads.frame(
        "select elapsed_seconds, process_cpu_percent, process_rss_bytes, gpu_utilization_percent, "
        "gpu_memory_used_bytes from staging.stg_raw__run_resources where run_id = ? order by sample_index",
        (run_id,),
    )


def _finished_runs(job: jobs.Job) -> int:
    """Runs of the job's rows that ended (COMPLETED or FAILED) since the job started."""
    if not job.run_names:
        return 0
    marks = ", ".join("?" for _ in job.run_names)
    ended = reads.frame(
        f"select count(distinct run_name) as n from staging.stg_raw__nf_model_runs where run_name in ({marks}) "
        "and status in ('COMPLETED', 'FAILED') and created_at >= ?",
        (*job.run_names, pd.Timestamp(job.started_at).tz_localize(None)),
    )
    return int(ended.iloc[0, 0])


@st.fragment(run_every=LIVE_REFRESH_S)
def _live_section() -> None:
    st.subheader("Live")
    outcome = st.session_state.pop("runs_cancel", None)
    if outcome:
        (st.success if outcome[0] == "ok" else st.error)(outcome[1])
    active = _live_runs()
    if active.empty:
        st.write("No run is training now.")
    for run in active.itertuples():
        with st.container(border=True):
            st.write(
                f"**{run.run_name}** · {run.model_name} on {run.dataset}/{run.series_selector} · "
                f"**{run.status}** · run `{run.run_id}`"
            )
            samples = _samples(run.run_id)
            elapsed = float(samples["elapsed_seconds"].max()) if not samples.empty else 0.0
            beat = pd.Timestamp.now(tz="UTC").tz_localize(None) - pd.Timestamp(run.heartbeat_at or run.created_at)
            st.caption(
                f"{elapsed:.0f} s of training sampled ({len(samples)} resource samples), "
                f"last heartbeat {max(beat.total_seconds(), 0):.0f} s ago"
            )
            if not samples.empty:
                st.altair_chart(charts.resource_charts(samples))
            st.button("Cancel run", key=f"cancel_{run.run_id}", on_click=_cancel, args=(run.run_id,))
    recent = jobs.list_jobs(limit=5)
    if recent:
        st.write("Jobs started from this UI")
        for job in recent:
            state = "running" if job.alive else "ended"
            finished = _finished_runs(job)
            with st.expander(f"job {job.job_id} · {state} · {Path(job.plan_file).name}: {', '.join(job.run_names)}"):
                st.progress(
                    finished / max(len(job.run_names), 1), text=f"{finished} of {len(job.run_names)} run(s) ended"
                )
                st.code(job.log_tail() or "(no output yet)")


def _history() -> pd.DataFrame:
    runs = reads.frame(f"select {RUN_COLUMNS} from staging.stg_raw__nf_model_runs order by created_at desc")
    scores = reads.frame("select run_id, cv_mae, cv_rmse, has_stored_model from marts.run_history")
    return runs.merge(scores, on="run_id", how="left")


def _history_section() -> pd.DataFrame:
    st.subheader("Run history")
    runs = _history()
    filters = st.columns(5)
    with filters[0]:
        plan = multiselect_filter("Plan", sorted(runs["plan_name"].dropna().unique()), "hist_plan")
    with filters[1]:
        model = multiselect_filter("Model", sorted(runs["model_name"].dropna().unique()), "hist_model")
    with filters[2]:
        status = multiselect_filter("Status", sorted(runs["status"].dropna().unique()), "hist_status")
    with filters[3]:
        dataset = multiselect_filter("Dataset", sorted(runs["dataset"].dropna().unique()), "hist_game")
    with filters[4]:
        kind = multiselect_filter("Kind", sorted(runs["run_kind"].dropna().unique()), "hist_kind")
    for column, chosen in (
        ("plan_name", plan),
        ("model_name", model),
        ("status", status),
        ("dataset", dataset),
        ("run_kind", kind),
    ):
        runs = apply_filter(runs, column, chosen)
    st.dataframe(runs, hide_index=True)
    return runs


def _run_detail(runs: pd.DataFrame) -> None:
    st.subheader("Open a run")
    if runs.empty:
        st.write("No run matches the filters.")
        return
    labels = {
        f"{row.run_name} · {row.status} · {row.created_at:%Y-%m-%d %H:%M} · {row.run_id}": row.run_id
        for row in runs.itertuples()
    }
    run_id = labels[st.selectbox("Run", list(labels), key="runs_open")]
    detail = reads.frame(
        "select status, metrics_json, best_params_json, resource_summary_json, run_log, error_type, error_message, "
        "env_key, data_version from staging.stg_raw__nf_model_runs where run_id = ?",
        (run_id,),
    ).iloc[0]
    st.write(f"Status **{detail['status']}** on {detail['env_key']} (data version `{detail['data_version']}`)")
    if detail["error_message"]:
        st.error(f"{detail['error_type']}: {detail['error_message']}")
    left, right = st.columns(2)
    left.write("Metrics (cross-validation)")
    left.json(json.loads(detail["metrics_json"] or "{}"))
    right.write("Best parameters (searches)")
    right.json(json.loads(detail["best_params_json"] or "{}"))
    metrics = reads.frame(
        "select unique_id, metric, mean_value, min_value, max_value, n_windows from marts.run_series_metrics "
        "where run_id = ? order by unique_id, metric",
        (run_id,),
    )
    if not metrics.empty:
        st.write("Metrics per series")
        st.dataframe(metrics, hide_index=True)
    samples = _samples(run_id)
    if not samples.empty:
        st.write("Resources")
        st.altair_chart(charts.resource_charts(samples))
    with st.expander("Log tail"):
        st.code((detail["run_log"] or "")[-8000:])
    if st.button("Build the HTML report", key="runs_report"):
        from fcast.report.run_report import report_run

        path = report_run(run_id)
        st.download_button(
            "Download the report", path.read_bytes(), file_name=path.name, mime="text/html", key="runs_report_dl"
        )
        st.caption(f"also written to {path}")


def render_runs() -> None:
    st.title("Runs")
    if not require_marts("marts.run_history", "staging.stg_raw__nf_model_runs", "staging.stg_raw__run_resources"):
        return
    _start_section()
    _live_section()
    runs = _history_section()
    _run_detail(runs)
