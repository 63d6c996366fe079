"""Lint, benchmarks and fuzzing: used by noxfile.py and the tests only."""
