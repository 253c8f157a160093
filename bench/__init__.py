"""Benchmarks of the hub under its production server. `python -m bench` runs them all."""
