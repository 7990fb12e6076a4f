"""tabular: planners and learners for finite and linear MDPs.

Planned (see the issue tracker): value/policy iteration with certified bounds, LP,
KL-regularised DP, SQIRL and the effective horizon, distributional DP. Nothing is
exported yet.
"""

__all__: list[str] = []
