"""Probes: really call neuralforecast with candidate arguments and record what runs and what fails."""
