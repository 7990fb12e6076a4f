"""Deep training runs through :mod:`rlcore.experiments`: one module-level run function.

:func:`rlcore.experiments.run_sweep` needs a run function ``run(config, seed) -> dict``
that its workers can import (loky and Ray pickle it by reference). :func:`sweep_run`
is one for every deep learner of :mod:`tabular.deep`: the configuration names the
algorithm, the environment id and the budget, the rest are the trainer's keyword
arguments; the record is :meth:`~tabular.deep.DeepRLResult.to_record` (the evaluation
curve and the per-episode training returns, as lists), so a sweep's store holds every
run's curves, resumes after an interruption and summarises across seeds.

Examples
--------
>>> import tempfile
>>> from rlcore.experiments import Sweep, grid, run_sweep
>>> sweep = Sweep(grid({"loss": ["huber", "quantile"], "n_step": [1, 3]}, base={"algorithm": "dqn",
...     "env": "CartPole-v1", "total_steps": 300, "learning_starts": 100, "hidden_sizes": [16]}),
...     n_seeds=1, root_seed=0)
>>> with tempfile.TemporaryDirectory() as out_dir:
...     records = run_sweep(sweep, sweep_run, out_dir, backend="serial")
>>> [r["status"] for r in records], sorted(records[0]["result"])[:3]
(['ok', 'ok', 'ok', 'ok'], ['algorithm', 'episode_end_steps', 'episode_returns'])
"""

from __future__ import annotations

from typing import Any

from rlcore.validation import Instance, Integer, InvalidParameterError, InvalidParameterTypeError, validate_params

__all__ = ["TRAINERS", "sweep_run"]

#: The ``algorithm`` names :func:`sweep_run` accepts and the trainers they call.
TRAINERS: dict[str, str] = {
    "dqn": "train_dqn",
    "ppo": "train_ppo",
    "sac": "train_sac",
    "dsac_t": "train_dsac_t",
    "stream_q": "train_stream_q",
    "stream_ac": "train_stream_ac",
}


@validate_params(config=Instance(dict, what="a dict naming algorithm, env and total_steps"), seed=Integer(0, 2**63 - 1))
def sweep_run(config: dict[str, Any], seed: int) -> dict[str, Any]:
    """Train one deep agent for a sweep: ``config`` names it, ``seed`` seeds it.

    Parameters
    ----------
    config : dict
        ``"algorithm"`` (a key of :data:`TRAINERS`), ``"env"`` (a Gymnasium id),
        ``"total_steps"``, and any other keyword argument of the trainer (lists stand
        for tuples, as JSON has no tuples).
    seed : int
        The run's seed (``rng`` of the trainer), given by the sweep.

    Returns
    -------
    dict
        :meth:`~tabular.deep.DeepRLResult.to_record` of the run.

    Raises
    ------
    ValueError, TypeError
        A configuration without those keys, or with an unknown algorithm (the message
        starts with ``config``); the trainer's own checks for the rest.
    """
    import tabular.deep as deep

    if not isinstance(config, dict):
        raise InvalidParameterTypeError("config", f"expected a dict, got {type(config).__name__}")
    missing = [k for k in ("algorithm", "env", "total_steps") if k not in config]
    if missing:
        raise InvalidParameterError("config", f"missing key(s) {missing}")
    kwargs = dict(config)
    algorithm = kwargs.pop("algorithm")
    if algorithm not in TRAINERS:
        raise InvalidParameterError("config", f"algorithm must be one of {sorted(TRAINERS)}, got {algorithm!r}")
    env = kwargs.pop("env")
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}
    trainer = getattr(deep, TRAINERS[algorithm])
    return trainer(env, rng=int(seed), **kwargs).to_record()
