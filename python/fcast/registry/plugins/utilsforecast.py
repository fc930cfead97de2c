"""Registry plug-in for utilsforecast: generic introspection of every module (no extra facts yet)."""

LIBRARY = "utilsforecast"
PACKAGE = "utilsforecast"
