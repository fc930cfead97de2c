"""The AirPassengers row of bench_panels.py written by hand: the neuralforecast calls fcast's trainer makes.

python benchmarks/handwritten_air.py AIR_CSV AIR_FUTR_CSV MAX_STEPS
"""

from __future__ import annotations

import sys

import pandas as pd
from neuralforecast import NeuralForecast
from neuralforecast.models import NHITS


def main(observed: str, futr: str, max_steps: int) -> None:
    df = pd.read_csv(observed, parse_dates=["ds"])
    futr_df = pd.read_csv(futr, parse_dates=["ds"])
    model = NHITS(
        h=12,
        input_size=24,
        max_steps=max_steps,
        scaler_type="robust",
        random_seed=1,
        futr_exog_list=["fut_trend"],
        hist_exog_list=["hist_y_lag12"],
        enable_progress_bar=False,
        enable_model_summary=False,
        logger=False,
        enable_checkpointing=False,
    )
    nf = NeuralForecast(models=[model], freq="ME")
    cv = nf.cross_validation(df=df, n_windows=2, step_size=12)
    nf.fit(df=df)
    forecast = nf.predict(futr_df=futr_df)
    print(f"cv mae {(cv['y'] - cv['NHITS']).abs().mean():.4f}; {len(forecast)} forecasts")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
