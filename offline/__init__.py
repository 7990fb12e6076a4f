"""offline: offline reinforcement learning with pessimism (the LCB family).

Planned (see the issue tracker). Nothing is exported yet.
"""

__all__: list[str] = []
