"""The operating cycle: new draws in, locked forecasts scored, models retrained, next forecasts locked."""
