"""Side-by-side speed comparisons against the libraries users would pick instead.

Benchmarks live here and never in unit tests: each script times the library and its
peers in one process run and reports medians and ratios (ours/peer). See
``benchmarks/README.md``; the shared machinery is in :mod:`benchmarks.harness`.
"""
