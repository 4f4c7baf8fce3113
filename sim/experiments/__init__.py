"""Experiments: running scenarios, sweeps, reruns, results folders and validation."""
