"""The UI's charts (Altair, rendered by Streamlit offline): forecasts, resources, chance, registry."""

from __future__ import annotations

import altair as alt
import pandas as pd

MIB = 1024 * 1024
OUTCOME_COLOURS = {
    "ok": "#2b8a3e",
    "baseline": "#74b816",
    "not_observable": "#74c0fc",
    "unchanged": "#ced4da",
    "ignored": "#868e96",
    "not_additive": "#e8590c",
    "raised": "#e03131",
    "nan_output": "#9c36b5",
    "timeout": "#f08c00",
    "crashed": "#862e9c",
}


_SUB_DAILY = ("h", "min", "s", "ms", "us", "ns")


def date_format(freq: str | None) -> str:
    """How a date axis labels its ticks: to the month for monthly and coarser data, the day, or the minute."""
    try:
        family = pd.tseries.frequencies.to_offset(freq).rule_code.split("-")[0] if freq else "D"
    except ValueError:
        family = "D"
    if family in _SUB_DAILY:
        return "%Y-%m-%d %H:%M"
    return "%Y-%m-%d" if family in ("D", "B", "C", "W") else "%Y-%m"


def _time_x(dates: bool | str, integer_title: str) -> alt.X:
    """`ds_time` as dates (`dates` is True or the dataset's freq, which picks the tick labels), else integer `ds`."""
    if not dates:
        return alt.X("ds:Q", title=integer_title)
    fmt = date_format(dates if isinstance(dates, str) else None)
    return alt.X("ds_time:T", title="date", axis=alt.Axis(format=fmt, labelOverlap=True))


def forecast_chart(
    actual: pd.DataFrame,
    forecasts: pd.DataFrame,
    intervals: pd.DataFrame | None = None,
    dates: bool | str = False,
) -> alt.Chart:
    """Actual values (line), forecasts (points: cross-validation and the next steps) and interval bands.

    Games are drawn over the draw number `ds`; a date panel (`dates`: True or its freq) over `ds_time`, its
    forecasts with their `cutoff_time`.
    """
    x = _time_x(dates, "draw (ds)")
    when, cutoff = ("ds_time", "cutoff_time") if dates else ("ds", "cutoff")
    base = (
        alt.Chart(actual)
        .mark_line(color="#888888")
        .encode(x=x, y=alt.Y("y_actual:Q", title="value"), tooltip=[when, "y_actual"])
    )
    layers = [base]
    if intervals is not None and not intervals.empty:
        band = (
            alt.Chart(intervals)
            .mark_area(opacity=0.25)
            .encode(
                x=x,
                y="lo:Q",
                y2="hi:Q",
                color=alt.Color("interval_level:N", title="interval %"),
                tooltip=[when, "interval_level", "lo", "hi"],
            )
        )
        layers.insert(0, band)
    forecasts = (
        alt.Chart(forecasts)
        .mark_point(filled=True, size=45)
        .encode(
            x=x,
            y=alt.Y("y_hat:Q"),
            color=alt.Color("forecast_kind:N", title="forecast"),
            tooltip=[when, cutoff, "y_hat", "y_actual", "abs_error"],
        )
    )
    layers.append(forecasts)
    return alt.layer(*layers).properties(height=320).interactive()


def panel_series_chart(observed: pd.DataFrame, dates: bool | str) -> alt.Chart:
    """A panel's series over their dates (`ds_time`; `dates` True or its freq) or integer `ds`; filled
    observations drawn as crosses."""
    x = _time_x(dates, "ds")
    when = "ds_time" if dates else "ds"
    lines = (
        alt.Chart(observed)
        .mark_line()
        .encode(
            x=x,
            y=alt.Y("y:Q", title="y"),
            color=alt.Color("unique_id:N", title="series"),
            tooltip=["unique_id", when, "y", "filled_by"],
        )
    )
    filled = observed[observed["filled_by"].fillna("") != ""]
    if filled.empty:
        return lines.properties(height=280).interactive()
    crosses = (
        alt.Chart(filled)
        .mark_point(shape="cross", size=80, color="#e03131")
        .encode(x=x, y="y:Q", tooltip=["unique_id", when, "y", "filled_by"])
    )
    return alt.layer(lines, crosses).properties(height=280).interactive()


def resource_charts(samples: pd.DataFrame) -> alt.Chart:
    """CPU %, RSS (MiB) and, where sampled, GPU utilisation over the run's elapsed seconds."""
    frame = samples.assign(
        rss_mib=samples["process_rss_bytes"] / MIB,
        gpu_memory_mib=samples["gpu_memory_used_bytes"] / MIB,
    )
    measures = {
        "process_cpu_percent": "CPU % (process)",
        "rss_mib": "RSS MiB",
        "gpu_utilization_percent": "GPU %",
        "gpu_memory_mib": "GPU memory MiB",
    }
    long = frame.melt(id_vars=["elapsed_seconds"], value_vars=list(measures), var_name="measure")
    long = long.dropna(subset=["value"])
    long["measure"] = long["measure"].map(measures)
    return (
        alt.Chart(long)
        .mark_line()
        .encode(
            x=alt.X("elapsed_seconds:Q", title="seconds"),
            y=alt.Y("value:Q", title=None),
            tooltip=["measure", "elapsed_seconds", "value"],
        )
        .properties(height=160, width=260)
        .facet(facet=alt.Facet("measure:N", title=None), columns=4)
        .resolve_scale(y="independent")
    )


def leaderboard_chart(board: pd.DataFrame) -> alt.Chart:
    """Each run's CV MAE per slot beside the exact best constant MAE (the floor chance allows)."""
    label = board["run_name"] + " · " + board["unique_id"]
    frame = board.assign(entry=label)
    bars = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("entry:N", sort="x", title=None),
            x=alt.X("model_mae:Q", title="MAE"),
            color=alt.Color("verdict:N"),
            tooltip=["run_name", "unique_id", "model_mae", "exact_best_mae", "uniform_guess_mae", "p_holm", "verdict"],
        )
    )
    bound = alt.Chart(frame).mark_tick(color="black", thickness=2, size=16).encode(y="entry:N", x="exact_best_mae:Q")
    return alt.layer(bars, bound).properties(height=max(160, 22 * len(frame)))


PROSPECTIVE_LINES = {
    "cumulative_mae": "model (locked forecasts)",
    "cumulative_best_constant_mae": "best constant",
    "cumulative_seasonal_naive_mae": "seasonal naive",
    "exact_best_mae": "exact bound (chance)",
}


def prospective_chart(scores: pd.DataFrame) -> alt.Chart:
    """One sequence's cumulative MAE over the draws after its forecasts were locked, inside its anytime-valid
    confidence sequence (band), beside the best constant, seasonal naive and the exact bound."""
    scores = scores[["target_ds", "n_scored", "cs_lower", "cs_upper", "e_value_max", *PROSPECTIVE_LINES]]
    lines = scores.melt(
        id_vars=["target_ds"], value_vars=list(PROSPECTIVE_LINES), var_name="measure", value_name="mae"
    ).assign(measure=lambda frame: frame["measure"].map(PROSPECTIVE_LINES))
    x = alt.X("target_ds:Q", title="draw number", axis=alt.Axis(format="d"))
    band = (
        alt.Chart(scores)
        .mark_area(opacity=0.2, color="#4c78a8")
        .encode(
            x=x,
            y=alt.Y("cs_lower:Q", title="cumulative MAE"),
            y2="cs_upper:Q",
            tooltip=["target_ds", "n_scored", "cs_lower", "cs_upper", "e_value_max"],
        )
    )
    drawn = (
        alt.Chart(lines)
        .mark_line(point=True)
        .encode(
            x=x,
            y="mae:Q",
            color=alt.Color("measure:N", title=None, sort=list(PROSPECTIVE_LINES.values())),
            tooltip=["target_ds", "measure", alt.Tooltip("mae:Q", format=".3f")],
        )
    )
    return alt.layer(band, drawn).properties(height=280)


def panel_leaderboard_chart(runs: pd.DataFrame) -> alt.Chart:
    """Each panel run's MAE beside the naive (grey tick) and seasonal naive (black tick) baselines' MAE."""
    frame = runs.assign(entry=runs["run_name"] + " · " + runs["model_name"])
    bars = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("entry:N", sort="x", title=None),
            x=alt.X("model_mae:Q", title="MAE"),
            color=alt.Color("verdict:N"),
            tooltip=[
                "run_name",
                "model_name",
                "n_series",
                "model_mae",
                "seasonal_naive_mae",
                "naive_mae",
                "geometric_mean_relative_mae",
                "verdict",
            ],
        )
    )
    seasonal = (
        alt.Chart(frame).mark_tick(color="black", thickness=2, size=16).encode(y="entry:N", x="seasonal_naive_mae:Q")
    )
    naive = alt.Chart(frame).mark_tick(color="#868e96", thickness=2, size=16).encode(y="entry:N", x="naive_mae:Q")
    return alt.layer(bars, seasonal, naive).properties(height=max(120, 26 * len(frame)))


def predictability_chart(profile: pd.DataFrame, alpha: float = 0.05) -> alt.Chart:
    """Each test's p-value on each series (log scale); left of the alpha rule the draws depart from chance."""
    frame = profile.dropna(subset=["p_value"]).assign(p_value=lambda f: f["p_value"].clip(lower=1e-12))
    points = (
        alt.Chart(frame)
        .mark_point(filled=True, size=80)
        .encode(
            x=alt.X("p_value:Q", scale=alt.Scale(type="log"), title="p-value (log)"),
            y=alt.Y("unique_id:N", title=None),
            color=alt.Color("test_name:N", title="test"),
            shape=alt.Shape("test_name:N"),
            tooltip=["unique_id", "test_name", "statistic", "p_value", "p_holm", "verdict"],
        )
    )
    rule = alt.Chart(pd.DataFrame({"alpha": [alpha]})).mark_rule(color="red", strokeDash=[4, 4]).encode(x="alpha:Q")
    return alt.layer(rule, points).properties(height=max(140, 28 * frame["unique_id"].nunique()))


def capability_matrix_chart(capabilities: pd.DataFrame, flags: list[str]) -> alt.Chart:
    long = capabilities.melt(id_vars=["model_class"], value_vars=flags, var_name="capability", value_name="has")
    long["has"] = long["has"].map({True: "yes", False: "no"}).fillna("unknown")
    return (
        alt.Chart(long)
        .mark_rect(stroke="white")
        .encode(
            x=alt.X("capability:N", title=None, axis=alt.Axis(orient="top", labelAngle=-30)),
            y=alt.Y("model_class:N", title=None),
            color=alt.Color(
                "has:N", scale=alt.Scale(domain=["yes", "no", "unknown"], range=["#2b8a3e", "#e9ecef", "#ffd43b"])
            ),
            tooltip=["model_class", "capability", "has"],
        )
        .properties(height=max(160, 22 * capabilities["model_class"].nunique()))
    )


def outcome_chart(outcomes: pd.DataFrame) -> alt.Chart:
    frame = outcomes.assign(case=outcomes["method"] + " " + outcomes["argument"] + "=" + outcomes["value_label"])
    return (
        alt.Chart(frame)
        .mark_rect(stroke="white")
        .encode(
            x=alt.X("model_class:N", title=None),
            y=alt.Y("case:N", title=None),
            color=alt.Color(
                "outcome:N",
                scale=alt.Scale(domain=list(OUTCOME_COLOURS), range=list(OUTCOME_COLOURS.values())),
            ),
            tooltip=["model_class", "method", "argument", "value_label", "outcome", "error_message", "probe_id"],
        )
        .properties(height=max(160, 16 * frame["case"].nunique()))
    )


def usage_chart(usage: pd.DataFrame, measure: str, title: str) -> alt.Chart:
    return (
        alt.Chart(usage)
        .mark_bar()
        .encode(
            x=alt.X(f"{measure}:Q", title=title),
            y=alt.Y("model_name:N", sort="-x", title=None),
            color=alt.Color("accelerator:N"),
            tooltip=list(usage.columns),
        )
        .properties(height=max(120, 26 * len(usage)))
    )


FEATURE_GROUP_COLOURS = {"insample": "#1f6fb2", "hist": "#d2531b", "fut": "#2b8a3e", "stat": "#9c36b5"}


def feature_importance_chart(importance: pd.DataFrame, top: int = 15) -> alt.Chart:
    """Share of each feature in an explanation (marts.run_feature_importance), the `top` features per explainer,
    coloured by feature group."""
    shown = importance[importance["importance_rank"] <= top]
    groups = list(FEATURE_GROUP_COLOURS)
    return (
        alt.Chart(shown)
        .mark_bar()
        .encode(
            x=alt.X("importance_share:Q", title="share of mean |attribution|", axis=alt.Axis(format="%")),
            y=alt.Y("feature:N", sort="-x", title=None),
            color=alt.Color(
                "feature_group:N",
                title="group",
                scale=alt.Scale(domain=groups, range=[FEATURE_GROUP_COLOURS[group] for group in groups]),
            ),
            tooltip=[
                "explainer",
                "feature",
                "feature_group",
                "importance_share",
                "mean_abs_attribution",
                "mean_attribution",
                "importance_rank",
            ],
        )
        .properties(height=18 * min(top, max(len(shown["feature"].unique()), 1)), width=320)
        .facet(column=alt.Column("explainer:N", title=None))
    )
