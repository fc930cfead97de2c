"""Registry plug-in for TimeGPT (fcast's own client of Nixtla's REST API), scanned under fcast's version."""

from fcast.registry.introspect import ScanRows
from fcast.registry.plugins.foundation import scan_adapters

LIBRARY = "fcast"
PACKAGE = "fcast.library.foundation.timegpt"


def scan_extras(rows: ScanRows) -> None:
    scan_adapters(rows, PACKAGE)
