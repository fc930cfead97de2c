"""Registry plug-in for hierarchicalforecast: generic introspection of every module (no extra facts yet)."""

LIBRARY = "hierarchicalforecast"
PACKAGE = "hierarchicalforecast"
