"""Run plans: the format (one row = one model run) and the validator that checks them against the registry."""
