"""Ingestion: read draw files, pages and panels, check them against the game rules, load raw tables."""
