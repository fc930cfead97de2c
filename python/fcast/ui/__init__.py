"""The Streamlit UI (`fcast ui`): pages that read the marts and drive ingest, plans and training."""
