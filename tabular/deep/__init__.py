"""tabular.deep: the deep variants of the finite-horizon learners (torch extra).

Deep variants live by one rule across the library: in a ``deep`` module or subpackage
of the package whose family they extend (see :mod:`rlcore.deep`). Here:

=====================  ==========================================================
:func:`dqn`            deep Q-learning with replay and a target network (Mnih et al. 2015)
:func:`ppo`            clipped-surrogate actor-critic with GAE (Schulman et al. 2017)
=====================  ==========================================================

Both run the episodic protocol of :mod:`tabular.learning` on any batched simulator and
return a :class:`tabular.LearnerResult`. Their networks come from
:func:`rlcore.deep.build_mlp`, seeded from the caller's ``rng``; importing this package
never imports torch, which is imported (through :func:`rlcore.deep.require_torch`) when
a learner is called.
"""

from tabular.deep.dqn import dqn
from tabular.deep.ppo import ppo

__all__ = ["dqn", "ppo"]
