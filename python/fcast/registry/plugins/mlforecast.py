"""Registry plug-in for mlforecast: generic introspection of every module (no extra facts yet)."""

LIBRARY = "mlforecast"
PACKAGE = "mlforecast"
