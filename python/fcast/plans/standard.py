"""The standard plan of a game with k slots: k+1 runs, one per slot (N1..Nk) and one over all slots.

The all-slot run is multivariate (n_series = k) for a model whose MULTIVARIATE flag is set, or one
global univariate model over the k series. Every feature column of the feature marts is used, except the
embedding features (hist_emb_), which are null until `fcast features embed` has computed them.
"""

from __future__ import annotations

from fcast import db
from fcast.errors import NotFoundError
from fcast.features import is_computed_feature
from fcast.games import get_game
from fcast.plans.spec import RunPlanRow

DEFAULT_SLOT_MODEL = "NHITS"
DEFAULT_MULTIVARIATE_MODEL = "TSMixerx"
DEFAULT_INPUT_SIZE = 20
# Small enough that the Loto6 plan (7 runs) trains in a few minutes on 2 CPU cores.
DEFAULT_MAX_STEPS = 100
# The hist_ features range from 0/1 flags to cumulative sums in the tens of thousands: scale each window.
DEFAULT_SCALER = "robust"
# One fit scores every window (refit off), so many windows cost little and make the comparison with chance firmer.
DEFAULT_CV_WINDOWS = 20


def feature_columns() -> dict[str, list[str]]:
    """Every hist_/fut_ column of nf_train_df and every stat_ column of nf_static_df, less the embedding features
    (hist_emb_: null until `fcast features embed` computes them, so a plan names them on purpose)."""
    with db.connect(read_only=True) as warehouse:
        rows = warehouse.fetchall(
            "select table_name, column_name from information_schema.columns where table_schema = 'marts' "
            "and table_name in ('nf_train_df', 'nf_static_df') order by table_name, ordinal_position"
        )
    if not rows:
        raise NotFoundError("the feature marts are not built yet: run `fcast main` (or `fcast build`) first")
    columns = [column for _, column in rows]
    return {
        "futr": [column for column in columns if column.startswith("fut_")],
        "hist": [column for column in columns if column.startswith("hist_") and not is_computed_feature(column)],
        "stat": [column for column in columns if column.startswith("stat_")],
    }


def standard_plan(
    game_code: str,
    mode: str = "multivariate",
    slot_model: str = DEFAULT_SLOT_MODEL,
    all_slots_model: str | None = None,
    horizon: int = 1,
    input_size: int = DEFAULT_INPUT_SIZE,
    max_steps: int = DEFAULT_MAX_STEPS,
) -> list[RunPlanRow]:
    if mode not in ("multivariate", "univariate"):
        raise ValueError(f"mode must be multivariate or univariate, not {mode!r}")
    game = get_game(game_code)
    features = feature_columns()
    plan_name = f"{game.code}_standard_{mode}"
    common = {
        "dataset": game.code,
        "horizon": horizon,
        "loss": {"class": "MAE", "kwargs": {}},
        "neuralforecast": {"freq": 1},
        "fit": {"val_size": 0},
        "cross_validation": {"n_windows": DEFAULT_CV_WINDOWS, "step_size": 1},
        "features": features,
    }
    rows = []
    for slot in game.slots:
        rows.append(
            RunPlanRow(
                plan_name=plan_name,
                run_name=f"{game.code}_{slot.name}_{slot_model.lower()}",
                series=slot.name,
                model=slot_model,
                model_args={"input_size": input_size, "max_steps": max_steps, "scaler_type": DEFAULT_SCALER},
                **common,
            )
        )
    if mode == "multivariate":
        model = all_slots_model or DEFAULT_MULTIVARIATE_MODEL
        model_args = {"input_size": input_size, "max_steps": max_steps, "n_series": game.main_count}
    else:
        model = all_slots_model or slot_model
        model_args = {"input_size": input_size, "max_steps": max_steps}
    model_args["scaler_type"] = DEFAULT_SCALER
    rows.append(
        RunPlanRow(
            plan_name=plan_name,
            run_name=f"{game.code}_all_{model.lower()}",
            series="all",
            model=model,
            model_args=model_args,
            **common,
        )
    )
    for index, row in enumerate(rows, start=1):
        row.row_index, row.source = index, f"fcast plan --game {game.code} --mode {mode}"
    return rows
