"""finance_apps: applications on the common interface (option stopping, hedging).

Planned (see the issue tracker). Nothing is exported yet.
"""

__all__: list[str] = []
