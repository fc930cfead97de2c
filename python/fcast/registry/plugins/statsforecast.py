"""Registry plug-in for statsforecast: generic introspection of every module (no extra facts yet)."""

LIBRARY = "statsforecast"
PACKAGE = "statsforecast"
