"""Chance references: exact slot distributions from the game geometry, and what a model must beat."""
