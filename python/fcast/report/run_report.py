"""`fcast report`: one self-contained HTML file per run or per plan, that opens offline from disk.

A run's report holds its configuration and library versions, the validation of its plan row, its
metrics per series and window, forecast plots with intervals, its leaderboard rows beside chance,
resource charts and the tail of its log. Plots are PNGs embedded as base64; nothing is fetched.
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path

import pandas as pd

from fcast import db, settings
from fcast.errors import NotFoundError

LOG_TAIL_LINES = 80
STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;max-width:1100px;color:#222}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.85rem}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:right}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}pre{background:#f7f7f7;padding:.8rem;
overflow-x:auto;font-size:.8rem}.ok{color:#17702f}.bad{color:#a1161b}img{max-width:100%}
"""


def _frame(sql: str, params=()) -> pd.DataFrame:
    with db.connect(read_only=True) as warehouse:
        return warehouse.fetch_frame(sql, params)


def _png(figure) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(figure)
    return f'<img alt="plot" src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}">'


def _table(frame: pd.DataFrame, limit: int = 200) -> str:
    if frame.empty:
        return "<p>none</p>"
    return frame.head(limit).to_html(index=False, float_format=lambda value: f"{value:.4g}", border=0)


def forecast_plot(forecasts: pd.DataFrame, intervals: pd.DataFrame, history: pd.DataFrame) -> str:
    """The series before and through the forecasts; on dates when the dataset has them (date panels)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    on_dates = "ds_time" in forecasts.columns and forecasts["ds_time"].notna().all()
    x = "ds_time" if on_dates else "ds"
    if on_dates:
        intervals = intervals.merge(forecasts[["unique_id", "forecast_kind", "cutoff", "ds", "ds_time"]], how="left")
    series = sorted(forecasts["unique_id"].unique())
    figure, axes = plt.subplots(len(series), 1, figsize=(10, 2.4 * len(series)), squeeze=False)
    for axis, unique_id in zip(axes[:, 0], series, strict=True):
        mine = forecasts[forecasts["unique_id"] == unique_id].sort_values("ds")
        start = mine["ds"].min() - 30
        past = history[(history["unique_id"] == unique_id) & (history["ds"] >= start)].sort_values("ds")
        axis.plot(past[x], past["y"], color="#777", lw=1, marker=".", ms=4, label="observed" if on_dates else "draws")
        for kind, marker, color in (("cross_validation", "o", "#1f6fb2"), ("forecast", "*", "#d2531b")):
            part = mine[mine["forecast_kind"] == kind]
            axis.scatter(part[x], part["y_hat"], marker=marker, color=color, s=28, label=kind.replace("_", " "))
        for level, band in intervals[intervals["unique_id"] == unique_id].groupby("level"):
            band = band.sort_values("ds")
            axis.fill_between(band[x], band["lo"], band["hi"], alpha=0.15, color="#1f6fb2", label=f"{level:g}%")
        axis.set_title(unique_id, fontsize=9, loc="left")
        axis.legend(fontsize=7, loc="upper left", ncol=4)
    figure.tight_layout()
    return _png(figure)


def resource_plot(samples: pd.DataFrame) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    has_gpu = samples["gpu_utilization_percent"].notna().any()
    figure, axes = plt.subplots(1, 3 if has_gpu else 2, figsize=(11, 2.6))
    axes[0].plot(samples["elapsed_seconds"], samples["process_cpu_percent"], color="#1f6fb2")
    axes[0].set_title("process CPU % (100 = one core)", fontsize=9)
    axes[1].plot(samples["elapsed_seconds"], samples["process_rss_bytes"] / 2**20, color="#d2531b")
    axes[1].set_title("resident memory, MiB", fontsize=9)
    if has_gpu:
        axes[2].plot(samples["elapsed_seconds"], samples["gpu_utilization_percent"], color="#17702f")
        axes[2].set_title("GPU utilisation %", fontsize=9)
    for axis in axes:
        axis.set_xlabel("seconds", fontsize=8)
    figure.tight_layout()
    return _png(figure)


def run_sections(run: dict) -> list[str]:
    run_id = run["run_id"]
    config = json.loads(run["optimization_config"] or "{}")
    status_class = "ok" if run["status"] == "COMPLETED" else "bad"
    parts = [
        f"<h2>{html.escape(run['run_name'])} · {html.escape(run['model_name'])} · "
        f"<span class='{status_class}'>{run['status']}</span></h2>",
        "<table>"
        + "".join(
            f"<tr><th>{name}</th><td>{html.escape(str(run[name]))}</td></tr>"
            for name in (
                "run_id",
                "run_kind",
                "dataset",
                "series_selector",
                "unique_ids",
                "horizon",
                "loss",
                "env_key",
                "data_version",
                "random_seed",
                "accelerator",
                "start_time",
                "end_time",
                "duration_seconds",
                "error_type",
                "error_message",
                "best_params",
            )
        )
        + "</table>",
        "<h3>Configuration and library versions</h3>",
        f"<pre>{html.escape(json.dumps(config, indent=2, sort_keys=True, default=str))}</pre>",
    ]
    validation = _frame(
        "select status, violations, warnings, validated_at from raw.plan_validations where plan_id = ? "
        "order by validated_at desc limit 1",
        (run["plan_id"],),
    )
    violations = _frame(
        "select severity, rule, field, message, suggestion from raw.plan_violations where plan_id = ?",
        (run["plan_id"],),
    )
    parts += ["<h3>Validation of the plan row</h3>", _table(validation), _table(violations)]
    metrics = _frame(
        "select unique_id, metric, count(*) as windows, avg(value) as mean, min(value) as min, max(value) as max "
        "from raw.run_metrics where run_id = ? group by unique_id, metric order by unique_id, metric",
        (run_id,),
    )
    per_window = _frame(
        "select unique_id, window_index, cutoff, metric, value from raw.run_metrics where run_id = ? "
        "order by unique_id, window_index, metric",
        (run_id,),
    )
    parts += ["<h3>Metrics per series (over the cross-validation windows)</h3>", _table(metrics)]
    parts += ["<details><summary>per window</summary>", _table(per_window, 500), "</details>"]
    forecasts = _frame("select * from raw.run_forecasts where run_id = ?", (run_id,))
    if not forecasts.empty:
        intervals = _frame("select * from raw.run_forecast_intervals where run_id = ?", (run_id,))
        ids = sorted(forecasts["unique_id"].unique())
        marks = ", ".join("?" for _ in ids)
        history = _frame(
            f"select unique_id, ds, ds_time, y from marts.fct_series_long where unique_id in ({marks})", ids
        )
        heading = "Forecasts against the actual values" if _is_panel(run) else "Forecasts against the draws"
        parts += [f"<h3>{heading}</h3>", forecast_plot(forecasts, intervals, history)]
    parts += _baselines_section(run)
    parts += _explanation_section(run_id)
    samples = _frame("select * from raw.run_resources where run_id = ? order by sample_index", (run_id,))
    if not samples.empty:
        parts += ["<h3>Resources</h3>", resource_plot(samples)]
    tail = "\n".join(str(run["logs"] or "").splitlines()[-LOG_TAIL_LINES:])
    parts += ["<h3>Log (tail)</h3>", f"<pre>{html.escape(tail)}</pre>"]
    return parts


def importance_plot(importance: pd.DataFrame, top: int = 15) -> str:
    """Horizontal bars of the `top` features' shares of the mean |attribution|, one panel per explainer."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from fcast.ui.charts import FEATURE_GROUP_COLOURS

    explainers = sorted(importance["explainer"].unique())
    figure, axes = plt.subplots(1, len(explainers), figsize=(5 * len(explainers), 0.3 * top + 1), squeeze=False)
    for axis, explainer in zip(axes[0], explainers, strict=True):
        shown = importance[(importance["explainer"] == explainer) & (importance["importance_rank"] <= top)]
        shown = shown.sort_values("importance_share")
        colours = [FEATURE_GROUP_COLOURS.get(group, "#777") for group in shown["feature_group"]]
        axis.barh(shown["feature"], shown["importance_share"], color=colours)
        axis.set_title(explainer, fontsize=9, loc="left")
        axis.tick_params(labelsize=7)
        axis.set_xlabel("share of mean |attribution|", fontsize=8)
    handles = [plt.Rectangle((0, 0), 1, 1, color=colour) for colour in FEATURE_GROUP_COLOURS.values()]
    figure.legend(handles, list(FEATURE_GROUP_COLOURS), fontsize=7, loc="lower right", ncol=4)
    figure.tight_layout()
    return _png(figure)


def _explanation_section(run_id: str) -> list[str]:
    """Feature importance of the run's explanations (`fcast explain`), when it has any."""
    if not _mart_exists("run_feature_importance"):
        return []
    importance = _frame(
        "select explainer, importance_source, feature_group, feature, importance_share, mean_abs_attribution, "
        "importance_rank from marts.run_feature_importance where run_id = ? order by explainer, importance_rank",
        (run_id,),
    )
    if importance.empty:
        return []
    explanations = _frame(
        "select explainer, status, windows, explained_forecasts, max_additivity_error, is_additive, warnings, "
        "duration_seconds from raw.run_explanations where run_id = ? order by explainer",
        (run_id,),
    )
    groups = _frame(
        "select explainer, importance_source, feature_group, n_features, importance_share, importance_rank "
        "from marts.run_feature_group_importance where run_id = ? order by explainer, importance_source, "
        "importance_rank",
        (run_id,),
    )
    attributions = importance[importance["importance_source"] == "attribution"]
    return [
        "<h3>Feature importance (fcast explain)</h3>",
        _table(explanations),
        importance_plot(attributions) if not attributions.empty else "",
        _table(groups),
    ]


def _mart_exists(name: str) -> bool:
    with db.connect(read_only=True) as warehouse:
        return warehouse.table_exists("marts", name)


def _is_panel(run: dict) -> bool:
    if not _mart_exists("mart_datasets"):
        return False
    kind = _frame("select dataset_kind from marts.mart_datasets where dataset = ?", (run["dataset"],))
    return not kind.empty and kind["dataset_kind"].iloc[0] == "panel"


def _baselines_section(run: dict) -> list[str]:
    """Games stand beside chance (fcast evaluate); panels beside seasonal naive and naive (marts.panel_leaderboard)."""
    if _is_panel(run):
        board = (
            _frame(
                "select unique_id, n_points, season_length, model_mae, naive_mae, seasonal_naive_mae, "
                "mae_relative_to_seasonal_naive, beats_seasonal_naive from marts.panel_leaderboard "
                "where run_id = ? order by unique_id",
                (run["run_id"],),
            )
            if _mart_exists("panel_leaderboard")
            else pd.DataFrame()
        )
        return [
            "<h3>Beside seasonal naive and naive</h3>",
            _table(board) if not board.empty else "<p>not scored yet: run `fcast build --select marts.runs`</p>",
        ]
    board = _frame(
        "select unique_id, n_points, model_mae, uniform_guess_mae, best_constant_mae, seasonal_naive_mae, "
        "exact_best_mae, p_holm, beats_chance from raw.leaderboard_entries where run_id = ? order by unique_id",
        (run["run_id"],),
    )
    return [
        "<h3>Beside chance</h3>",
        _table(board) if not board.empty else "<p>not scored yet: run `fcast evaluate`</p>",
    ]


def write_report(run_ids: list[str], title: str, output: Path | None = None) -> Path:
    if not run_ids:
        raise NotFoundError(f"{title}: no runs to report")
    marks = ", ".join("?" for _ in run_ids)
    runs = _frame(
        f"select *, loto as dataset from raw.nf_model_runs where run_id in ({marks}) order by created_at", run_ids
    )
    body = [f"<h1>{html.escape(title)}</h1>", f"<p>{len(runs)} run(s), target {html.escape(db.describe_target())}</p>"]
    for run in runs.to_dict("records"):
        body += run_sections(run)
    page = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>{''.join(body)}</body></html>"
    )
    if output is None:
        output = settings.beside_warehouse("reports") / f"{title.replace(' ', '_').replace('/', '_')}.html"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(page, encoding="utf-8")
    return output


def report_run(run_id_prefix: str, output: Path | None = None) -> Path:
    from fcast.train.runs import find_run

    run = find_run(run_id_prefix)
    return write_report([str(run["run_id"])], f"run {run['run_id']}", output)


def report_plan(plan_name: str, output: Path | None = None) -> Path:
    """The latest run of every row of a plan."""
    runs = _frame("select run_id, plan_id from raw.nf_model_runs where plan_name = ? order by created_at", (plan_name,))
    latest = runs.drop_duplicates("plan_id", keep="last")["run_id"].tolist()
    return write_report(latest, f"plan {plan_name}", output)
