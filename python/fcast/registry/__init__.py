"""The spec registry: scan forecasting libraries into version-keyed raw tables (stdlib-only worker side)."""
