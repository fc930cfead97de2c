"""Hyperparameter search from a run plan: the search-algorithm selector, durable studies, pruning."""
