"""pytest collection settings for the benchmarks package (its doctests run with the suite)."""

#: Scripts that run inside a peer's own environment and import the peer at module level:
#: not importable here, so not collected (they are run by the benchmarks, in a subprocess).
collect_ignore = ["rlberry_exploration.py", "sb3_deep.py"]
