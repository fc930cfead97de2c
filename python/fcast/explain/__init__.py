"""Explanations of stored models: `fcast explain RUN_ID` attributes a stored model's forecasts to its inputs.

`capabilities` says in advance what neuralforecast's `NeuralForecast.explain` cannot explain (from the
registry's facts: distribution losses, recurrent models under IntegratedGradients) and what makes the
attributions stop adding up to the forecast (RevIN, scalers); `attributions` turns the library's tensors into
long rows and measures additivity; `runner` loads the stored model (hash-checked, as `fcast predict` does),
explains the latest forecast origins and writes raw.run_explanations, raw.run_explanation_forecasts and
raw.run_attributions.
"""

from __future__ import annotations

EXPLAINERS = ("IntegratedGradients", "ShapleyValueSampling", "InputXGradient")
# Explainers whose attributions plus a baseline prediction (every input at zero) add up to the forecast.
ADDITIVE_EXPLAINERS = ("IntegratedGradients", "ShapleyValueSampling")
ADDITIVITY_TOLERANCE = 1e-3
