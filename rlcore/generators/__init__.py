"""Standard finite MDPs: random (Garnet) instances and the classic benchmark problems.

Every function returns a validated :class:`~rlcore.FiniteMDP`. Each takes the
criterion as keywords ``gamma`` and ``horizon`` (give at most one): a ``horizon``
gives a finite-horizon, undiscounted MDP; otherwise the MDP is discounted with
``gamma``, which defaults to :data:`DEFAULT_GAMMA` (0.95). The combination lock is
finite-horizon by construction and takes its horizon positionally.

==========================  ================================================  =======
generator                   what                                              actions
==========================  ================================================  =======
:func:`random_mdp`          Dirichlet / Garnet random MDPs, dense or sparse   any
:func:`gridworld`           rectangular grid with walls, slip, one goal       4
:func:`gridworld_from_map`  the same from an ASCII map (``#``, ``S``, ``G``)  4
:func:`river_swim`          RiverSwim (Strehl and Littman 2008)               2
:func:`chain`               the n-chain (Dearden et al. 1998; Strens 2000)    2
:func:`combination_lock`    deterministic lock, reward only at the end        any
:func:`forest`              forest management (pymdptoolbox's example)        2
==========================  ================================================  =======

The package holds one module per family: :mod:`rlcore.generators.garnet` (random
MDPs), :mod:`rlcore.generators.grids` (gridworlds), :mod:`rlcore.generators.classic`
(RiverSwim, the n-chain, the combination lock, forest management) and
:mod:`rlcore.generators.sticky` (sticky actions, a transformation of any MDP); every
name is importable from :mod:`rlcore.generators`.

Rewards are *expected* rewards ``R[s, a] = sum_s' P(s'|s, a) r(s, a, s')``: where a
problem pays a reward on a particular transition (arriving at a gridworld goal, holding
position at the right bank of the river) the generator folds it into that expectation.

References
----------
T. W. Archibald, K. I. M. McKinnon and L. C. Thomas, "On the generation of Markov
decision processes", *Journal of the Operational Research Society* 46(3), 1995.

S. Bhatnagar, R. S. Sutton, M. Ghavamzadeh and M. Lee, "Natural actor-critic
algorithms", *Automatica* 45(11), 2009 (the "Garnet" family).
"""

from __future__ import annotations

from rlcore.generators._common import DEFAULT_GAMMA
from rlcore.generators._common import MAX_HORIZON as MAX_HORIZON
from rlcore.generators._common import MAX_SIZE as MAX_SIZE
from rlcore.generators._common import MAX_TRANSITION_ENTRIES as MAX_TRANSITION_ENTRIES
from rlcore.generators.classic import chain, combination_lock, forest, river_swim
from rlcore.generators.garnet import random_mdp
from rlcore.generators.grids import gridworld, gridworld_from_map
from rlcore.generators.sticky import sticky_actions

__all__ = [
    "DEFAULT_GAMMA",
    "chain",
    "combination_lock",
    "forest",
    "gridworld",
    "gridworld_from_map",
    "random_mdp",
    "river_swim",
    "sticky_actions",
]
