"""Registry plug-in for Chronos-2 and Chronos-Bolt: their adapters scanned under chronos-forecasting's version."""

from fcast.registry.introspect import ScanRows
from fcast.registry.plugins.foundation import scan_adapters

LIBRARY = "chronos-forecasting"
PACKAGE = "fcast.library.foundation.chronos"


def scan_extras(rows: ScanRows) -> None:
    scan_adapters(rows, PACKAGE)
