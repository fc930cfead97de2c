"""fcast: a dbt + Python forecasting warehouse built on neuralforecast."""

__version__ = "0.1.0"
