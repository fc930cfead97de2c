"""Registry plug-in for coreforecast: generic introspection of every module (no extra facts yet)."""

LIBRARY = "coreforecast"
PACKAGE = "coreforecast"
