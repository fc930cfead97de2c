"""Pieces every page uses: the busy/retrying guard, a missing-marts notice, cached registry facts."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

import streamlit as st

from fcast import db
from fcast.ui import reads

BUSY_RETRY_S = 2.0


def guarded(render: Callable[[], None]) -> Callable[[], None]:
    """Run a page; while the DuckDB file is locked by a writer, say so and rerun until it is free."""

    @functools.wraps(render)
    def page() -> None:
        try:
            render()
        except db.WarehouseBusyError as error:
            st.warning(
                "The warehouse is busy: another process (dbt, a trainer, an upload) is writing to it. "
                f"Retrying every {BUSY_RETRY_S:.0f} s …\n\n{error}",
                icon=":material/hourglass_top:",
            )
            time.sleep(BUSY_RETRY_S)
            st.rerun()
        except db.WarehouseError as error:
            st.error(f"{error}", icon=":material/error:")

    return page


def require_marts(*names: str) -> bool:
    """Stop the page with a clear notice when the marts it reads are not built yet."""
    missing = reads.missing_marts(names)
    if missing:
        st.info(
            f"Not built yet: {', '.join(missing)}. Run `python3 bootstrap.py main` (or `fcast main`, "
            "`fcast build`) to build the warehouse, then reload this page."
        )
        return False
    return True


@st.cache_resource(ttl=30, show_spinner="Reading the registry …")
def registry_facts():
    from fcast.registry.facts import RegistryFacts

    return RegistryFacts.load()


def multiselect_filter(label: str, values: list[str], key: str) -> list[str]:
    """An empty selection means everything."""
    return st.multiselect(label, values, key=key, placeholder="all")


def apply_filter(frame, column: str, chosen: list[str]):
    return frame[frame[column].astype(str).isin(chosen)] if chosen else frame
