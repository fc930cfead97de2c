"""The Streamlit script `fcast ui` runs: page setup, navigation, and the target in the sidebar."""

from __future__ import annotations

import streamlit as st

from fcast import db
from fcast.ui.page_data import render_data
from fcast.ui.page_plan import render_plan
from fcast.ui.page_registry import render_registry
from fcast.ui.page_results import render_results
from fcast.ui.page_runs import render_runs
from fcast.ui.widgets import guarded

st.set_page_config(page_title="fcast", page_icon=":material/query_stats:", layout="wide")
db.set_target(None)
pages = [
    st.Page(guarded(render_data), title="Data", url_path="data", default=True),
    st.Page(guarded(render_registry), title="Registry", url_path="registry"),
    st.Page(guarded(render_plan), title="Plan", url_path="plan"),
    st.Page(guarded(render_runs), title="Runs", url_path="runs"),
    st.Page(guarded(render_results), title="Results", url_path="results"),
]
navigation = st.navigation(pages)
with st.sidebar:
    st.caption(f"Warehouse: {db.describe_target()}")
    st.caption("Short-lived connections: dbt and trainers can write while this page is open.")
navigation.run()
