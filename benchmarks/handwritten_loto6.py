"""The hand-written baseline of bench_training.py: train a plan's runs with plain neuralforecast.

    python benchmarks/handwritten_loto6.py PLAN.yaml WAREHOUSE.duckdb OUTPUT_DIR [--one-step]

What a user would write without fcast: read the feature marts with DuckDB, and for each run build
the model with the plan's exact arguments, cross-validate, fit on every draw, predict the next
draws and save the model. No validation, no run tables, no resource monitor, no hashing.

--one-step is the baseline of bench_rehearsal.py: the same calls at one training step (validation
at that step), one torch thread like a rehearsal worker, then load the saved model and predict
again; each row prints the seconds of its calls (data reading excluded) as `ROW <name> <seconds>`.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import duckdb
import yaml


def frames(connection, run: dict):
    features = run["features"]
    selector = connection.execute(
        "select unique_id from marts.mart_series_selectors where game_code = ? and selector_name = ? "
        "order by slot_index",
        [run["dataset"], run["series"]],
    ).fetchall()
    ids = [unique_id for (unique_id,) in selector]
    marks = ", ".join("?" for _ in ids)
    columns = ", ".join(["unique_id", "ds", "y", *features["futr"], *features["hist"]])
    df = connection.execute(
        f"select {columns} from marts.nf_train_df where unique_id in ({marks}) order by unique_id, ds", ids
    ).df()
    static_df = connection.execute(
        f"select unique_id, {', '.join(features['stat'])} from marts.nf_static_df where unique_id in ({marks})", ids
    ).df()
    futr_df = connection.execute(
        f"select unique_id, ds, {', '.join(features['futr'])} from marts.nf_futr_df "
        f"where unique_id in ({marks}) and horizon_step <= ? order by unique_id, ds",
        [*ids, run["horizon"]],
    ).df()
    return df, static_df, futr_df


def main() -> int:
    plan_path, warehouse, output = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    one_step = "--one-step" in sys.argv[4:]
    import torch
    from neuralforecast import NeuralForecast
    from neuralforecast import losses as nf_losses
    from neuralforecast import models as nf_models

    runs = yaml.safe_load(plan_path.read_text())["runs"]
    if one_step:
        torch.set_num_threads(1)
    for run in runs:
        started = time.perf_counter()
        with duckdb.connect(warehouse, read_only=True) as connection:
            df, static_df, futr_df = frames(connection, run)
        calls_started = time.perf_counter()
        if one_step:
            run["model_args"] = {**run["model_args"], "max_steps": 1, "val_check_steps": 1}
        features = run["features"]
        loss = getattr(nf_losses.pytorch, run["loss"]["class"])(**run["loss"].get("kwargs", {}))
        model = getattr(nf_models, run["model"])(
            h=run["horizon"],
            loss=loss,
            futr_exog_list=features["futr"],
            hist_exog_list=features["hist"],
            stat_exog_list=features["stat"],
            logger=False,
            enable_progress_bar=False,
            enable_model_summary=False,
            enable_checkpointing=False,
            **run["model_args"],
        )
        nf = NeuralForecast(models=[model], freq=1)
        nf.cross_validation(df=df, static_df=static_df, **run["cross_validation"])
        nf.fit(df=df, static_df=static_df, **run["fit"])
        forecast = nf.predict(futr_df=futr_df)
        nf.save(str(output / run["name"]), save_dataset=False, overwrite=True)
        if one_step:
            loaded = NeuralForecast.load(str(output / run["name"]))
            loaded.predict(df=df, static_df=static_df, futr_df=futr_df)
            print(f"ROW {run['name']} {time.perf_counter() - calls_started:.4f}", flush=True)
        print(f"{run['name']}: {len(forecast)} forecasts in {time.perf_counter() - started:.1f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
