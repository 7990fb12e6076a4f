"""tabular.deep: the deep variants of the library's learners (torch extra).

Deep variants live by one rule across the library: in a ``deep`` module or subpackage
of the package whose family they extend (see :mod:`rlcore.deep`). Here, two groups.

**On any Gymnasium task** (an id such as ``"CartPole-v1"``, a ``gymnasium.Env`` or
``VectorEnv``, a factory, or a simulator; through :func:`rlcore.from_gymnasium`),
discounted, with termination and truncation kept apart, each returning a
:class:`DeepRLResult` whose :class:`~tabular.deep.agent.Agent` acts, gives its exact policy table on a
tabular task, and saves checkpoints that load with ``torch.load(weights_only=True)``:

=========================  ========================================================
:func:`train_dqn`          DQN, double and n-step, with its value head chosen by
                           ``loss``: ``"mse"``, ``"huber"``, ``"hl_gauss"``,
                           ``"two_hot"``, ``"c51"``, ``"quantile"``
                           (:mod:`tabular.deep.value_heads`; Farebrother et al. 2024)
:func:`train_ppo`          PPO, discrete and continuous actions (Schulman et al. 2017)
:func:`train_sac`          SAC, continuous actions (Haarnoja et al. 2018)
:func:`train_dsac_t`       DSAC-T, distributional SAC with three refinements (Duan et al.)
:func:`train_stream_q`     stream-Q(lambda), ObGD, batch size one (Elsayed et al. 2024)
:func:`train_stream_ac`    stream-AC(lambda)
:func:`train_stream_td`    stream-TD(lambda): the value of a given policy
=========================  ========================================================

with :func:`evaluate_agent` (evaluation episodes on a separate environment),
:func:`load_agent`, :func:`value_of` (a streaming agent's value estimate), the ObGD
optimiser and sparse initialisation (:class:`ObGD`, :func:`sparse_init_`), and
:func:`sweep_run`, the run function that sends any of them through
:func:`rlcore.experiments.run_sweep`.

**Finite-horizon episodic baselines** on the batched simulator protocol, returning a
:class:`tabular.LearnerResult` (the effective-horizon papers' baselines):
:func:`dqn` (Mnih et al. 2015) and :func:`ppo`.

Networks come from :func:`rlcore.deep.build_mlp`, seeded from the caller's ``rng``;
importing this package never imports torch, which is imported (through
:func:`rlcore.deep.require_torch`) when a learner is called.
"""

from tabular.deep.agent import DeepRLResult, evaluate_agent, load_agent
from tabular.deep.dqn import dqn
from tabular.deep.dqn_agent import train_dqn
from tabular.deep.ppo import ppo
from tabular.deep.ppo_agent import train_ppo
from tabular.deep.sac_agent import train_dsac_t, train_sac
from tabular.deep.streaming import ObGD, sparse_init_, train_stream_ac, train_stream_q, train_stream_td, value_of
from tabular.deep.sweep import sweep_run
from tabular.deep.value_heads import LOSSES, value_head

__all__ = [
    "LOSSES",
    "DeepRLResult",
    "ObGD",
    "dqn",
    "evaluate_agent",
    "load_agent",
    "ppo",
    "sparse_init_",
    "sweep_run",
    "train_dqn",
    "train_dsac_t",
    "train_ppo",
    "train_sac",
    "train_stream_ac",
    "train_stream_q",
    "train_stream_td",
    "value_head",
    "value_of",
]
