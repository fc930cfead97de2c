"""Registry plug-in for TimesFM 2.5 (TimesFm2_5ModelForPrediction), scanned under transformers' version."""

from fcast.registry.introspect import ScanRows
from fcast.registry.plugins.foundation import scan_adapters

LIBRARY = "transformers"
PACKAGE = "fcast.library.foundation.timesfm"


def scan_extras(rows: ScanRows) -> None:
    scan_adapters(rows, PACKAGE)
