"""Experiments over many runs: ensembles over seeds and uncertain levers."""
