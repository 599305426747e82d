"""Benchmarks: `python -m bench` runs every `bench/bench_*.py` module's `main()`.

Figures are printed, never asserted: they depend on the machine.
"""
