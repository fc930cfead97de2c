"""Self-contained HTML reports of runs and plans."""
