"""bandits: stochastic, adversarial, linear, cascading and restless bandits.

Planned (see the issue tracker). Nothing is exported yet.
"""

__all__: list[str] = []
