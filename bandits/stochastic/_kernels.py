"""Numba kernels of the bandit simulation engine, :func:`bandits.simulate` (private).

One compiled run loop, :func:`run_index_policy`, serves every built-in policy family;
it dispatches on an integer policy code. The per-step logic lives in
:func:`select_arm` and :func:`update_state`, written in the subset of Python that
Numba compiles; the Python path of :func:`bandits.simulate` runs *their source*
(``select_arm.py_func``, with the helpers they call compiled), so the two paths execute
the same floating-point operations in the same order (``math`` functions in both,
never NumPy's vectorised ``log``) and draw the policy's random numbers from the same
per-run :class:`numpy.random.Generator` in the same order (Numba's ``Generator``
methods reproduce NumPy's streams bit for bit). For speed the run loop writes the
closed-form index policies and the state update out inline instead of calling the
helpers (Numba does not inline those calls, and a call costs several times a UCB1
step); ``tests/bandits/test_engine.py`` checks that both paths give identical
trajectories for every built-in policy on every kind of environment. UCB1 skips the
full argmax while a certificate shows the last leader still leads (see
:func:`_ucb1_bernoulli_run`, a dedicated loop for stationary Bernoulli arms, the
benchmark's case; the general loop uses the same certificate).

State arrays of a run (length ``K``): ``counts`` (pulls), ``sums`` (reward sums) and
``aux`` and ``scratch`` (policy-specific: ``1 / sqrt(n_k)`` for UCB1, sums of squares
for UCB-V, the right-hand side and index cached by KL-UCB, binarised successes for
Beta-Bernoulli Thompson sampling, log-weights and probabilities for EXP3). The two
non-stationary policies keep their *discounted* or *windowed* reward sums in ``sums``
and counts in ``aux`` (``counts`` stays the plain pull count); sliding-window UCB's
``scratch`` has length ``K + 2 tau``, the last ``2 tau`` entries a ring buffer of the
window's arms and rewards.

Rounds are numbered ``t = 1 .. T``; at round ``t`` the policy has seen ``t - 1``
rewards.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from bandits.stochastic._kl_kernels import exploration_rhs, klucb_bernoulli_index

__all__: list[str] = []


def _py(fn):  # type: ignore[no-untyped-def]
    """The interpreted source of a kernel (itself when Numba's JIT is disabled)."""
    return getattr(fn, "py_func", fn)


# policy codes
ETC = 0
EPS_GREEDY = 1
UCB1 = 2
UCBV = 3
KLUCB = 4
MOSS = 5
TS_BETA = 6
TS_GAUSS = 7
EXP3 = 8
DUCB = 9  # discounted UCB (Garivier and Moulines 2011)
SWUCB = 10  # sliding-window UCB (idem)

# environment kinds
ENV_BERNOULLI = 0  # reward = 1{u_t < mean}, one uniform per round
ENV_GAUSSIAN = 1  # reward = mean + scale[arm] * z_t, one standard normal per round
ENV_TABLE = 2  # reward = table[t, arm], a full reward table per run


# -------------------------------------------------------------------- environments
@njit(cache=True)
def env_reward(kind, means, scale, noise, t, arm):  # pragma: no cover - compiled
    """Reward of ``arm`` at round ``t`` (1-based) from the pre-drawn noise of a run."""
    mt = t - 1 if means.shape[0] > 1 else 0
    if kind == ENV_BERNOULLI:
        return 1.0 if noise[t - 1, 0] < means[mt, arm] else 0.0
    if kind == ENV_GAUSSIAN:
        return means[mt, arm] + scale[arm] * noise[t - 1, 0]
    return noise[t - 1, arm]


# --------------------------------------------------------------------- the policies
@njit(cache=True)
def _argmax_first(x):  # pragma: no cover - compiled
    best = 0
    for k in range(1, x.shape[0]):
        if x[k] > x[best]:
            best = k
    return best


@njit(cache=True)
def _first_unplayed(counts):  # pragma: no cover - compiled
    for k in range(counts.shape[0]):
        if counts[k] == 0.0:
            return k
    return -1


@njit(cache=True)
def _klucb_argmax(counts, sums, rhs, q_cache, rhs_cache):  # pragma: no cover - compiled
    """First maximiser of the Bernoulli KL-UCB indices, solving only where needed.

    For fixed ``(n_k, mu_k)`` the index ``q(rhs)`` is the inverse of the convex
    increasing ``kl(mu_k, .)``, hence concave and increasing in ``rhs``; an index
    solved earlier at ``rhs0`` (cached until the arm is pulled again) therefore bounds
    the current one by its tangent, ``q(rhs) <= q(rhs0) + (rhs - rhs0) q'(rhs0)`` with
    ``q' = q (1 - q) / (n (q - mu))``; Pinsker's ``q <= mu + sqrt(rhs / 2n)`` is the
    fallback. An arm whose bound (plus a 1e-9 allowance for the solver's tolerance)
    is below the best index found so far, starting from the most pulled arm, cannot
    be the argmax and is skipped.
    """
    K = counts.shape[0]
    lead = _argmax_first(counts)
    best_arm = lead
    best = klucb_bernoulli_index(sums[lead] / counts[lead], counts[lead], rhs)
    q_cache[lead] = best
    rhs_cache[lead] = rhs
    for k in range(K):
        if k == lead:
            continue
        n = counts[k]
        mean = sums[k] / n
        ub = mean + math.sqrt(0.5 * rhs / n)
        q0 = q_cache[k]
        if rhs_cache[k] > 0.0 and mean < q0 < 1.0:
            tangent = q0 + (rhs - rhs_cache[k]) * q0 * (1.0 - q0) / (n * (q0 - mean))
            if tangent < ub:
                ub = tangent
        if ub + 1e-9 < best:
            continue
        q = klucb_bernoulli_index(mean, n, rhs)
        q_cache[k] = q
        rhs_cache[k] = rhs
        if q > best or (q == best and k < best_arm):
            best = q
            best_arm = k
    return best_arm


@njit(cache=True)
def scratch_size(code, fp, K, T):  # pragma: no cover - compiled
    """Length of the ``scratch`` state array: ``K``, plus SW-UCB's ring buffer of
    ``min(tau, T)`` arms and rewards (a window longer than the run never evicts)."""
    if code == SWUCB:
        return K + 2 * min(int(fp[0]), T)
    return K


@njit(cache=True)
def _nonstationary_index(code, fp, t, counts, sums, aux, scratch):  # pragma: no cover - compiled
    """Discounted or sliding-window UCB: an arm unseen (in the window) first, else
    ``argmax_k sums_k / aux_k + sqrt(alpha log(n) / aux_k)``, with ``n`` the total
    discounted count (D-UCB) or ``min(t - 1, tau)`` (SW-UCB)."""
    K = counts.shape[0]
    alpha = fp[1]
    if code == DUCB:
        k0 = _first_unplayed(counts)
        if k0 >= 0:
            return k0
        n = 0.0
        for k in range(K):
            if aux[k] == 0.0:  # gamma^s underflowed: an infinite index, as for an unplayed arm
                return k
            n += aux[k]
    else:
        for k in range(K):
            if aux[k] <= 0.5:  # no pull of arm k in the window (counts are integers)
                return k
        n = float(min(t - 1, int(fp[0])))
    lg = math.log(n) if n > 1.0 else 0.0
    for k in range(K):
        scratch[k] = sums[k] / aux[k] + math.sqrt(alpha * lg / aux[k])
    return _argmax_first(scratch[:K])


@njit(cache=True)
def _nonstationary_update(code, fp, arm, reward, counts, sums, aux, scratch):  # pragma: no cover - compiled
    """Discount all statistics by ``gamma`` (D-UCB) or drop the pull leaving the window
    (SW-UCB), then record ``reward`` for ``arm``. Called before ``counts[arm]`` grows."""
    K = counts.shape[0]
    if code == DUCB:
        g = fp[0]
        for k in range(K):
            aux[k] *= g
            sums[k] *= g
    else:
        tau = int(fp[0])
        W = (scratch.shape[0] - K) // 2  # min(tau, T): pos < W always
        m = 0.0
        for k in range(K):
            m += counts[k]
        pos = int(m) % tau
        if m >= tau:
            old = int(scratch[K + pos])
            aux[old] -= 1.0
            sums[old] -= scratch[K + W + pos]
            if aux[old] == 0.0:
                sums[old] = 0.0  # no rounding residue once the arm left the window
        scratch[K + pos] = arm
        scratch[K + W + pos] = reward
    aux[arm] += 1.0
    sums[arm] += reward


@njit(cache=True)
def _is_randomised(code):  # pragma: no cover - compiled
    return code == EPS_GREEDY or code == TS_BETA or code == TS_GAUSS or code == EXP3


@njit(cache=True)
def _select_randomised(code, fp, t, counts, sums, aux, scratch, rng):  # pragma: no cover - compiled
    """Epsilon-greedy, the two Thompson samplers and EXP3: the policies that draw."""
    K = counts.shape[0]
    if code == EXP3:
        gamma = fp[0]
        m = aux[0]
        for k in range(1, K):
            if aux[k] > m:
                m = aux[k]
        total = 0.0
        for k in range(K):
            scratch[k] = math.exp(aux[k] - m)
            total += scratch[k]
        for k in range(K):
            scratch[k] = (1.0 - gamma) * scratch[k] / total + gamma / K
        u = rng.random()
        acc = 0.0
        for k in range(K - 1):
            acc += scratch[k]
            if u < acc:
                return k
        return K - 1
    if code == EPS_GREEDY:
        eps = fp[0]
        if fp[1] > 0.0:  # Auer et al.'s schedule min(1, c K / (d^2 t))
            eps = min(1.0, fp[1] * K / (fp[2] * fp[2] * t))
        if rng.random() < eps:
            return min(int(rng.random() * K), K - 1)
        k0 = _first_unplayed(counts)
        if k0 >= 0:
            return k0
        for k in range(K):
            scratch[k] = sums[k] / counts[k]
        return _argmax_first(scratch)
    if code == TS_BETA:
        for k in range(K):
            scratch[k] = rng.beta(1.0 + aux[k], 1.0 + counts[k] - aux[k])
        return _argmax_first(scratch)
    # TS_GAUSS
    sigma = fp[0]
    for k in range(K):
        scratch[k] = sums[k] / (counts[k] + 1.0) + sigma * rng.standard_normal() / math.sqrt(counts[k] + 1.0)
    return _argmax_first(scratch)


@njit(cache=True)
def _select_deterministic(code, fp, t, T, counts, sums, aux, scratch):  # pragma: no cover - compiled
    """Explore-then-commit and the closed-form index policies (UCB1, UCB-V, MOSS)."""
    K = counts.shape[0]
    if code == ETC:
        m = int(fp[0])
        if t <= m * K:
            return (t - 1) % K
        for k in range(K):
            scratch[k] = sums[k] / counts[k]
        return _argmax_first(scratch)
    # index policies first pull every arm once
    k0 = _first_unplayed(counts)
    if k0 >= 0:
        return k0
    plays = t - 1
    if code == UCB1:  # aux[k] = 1 / sqrt(n_k), kept up to date by update_state
        bonus = math.sqrt(2.0 * math.log(plays))
        for k in range(K):
            scratch[k] = sums[k] / counts[k] + bonus * aux[k]
    elif code == UCBV:
        zeta, b, cc = fp[0], fp[1], fp[2]
        e = zeta * math.log(plays)
        for k in range(K):
            n = counts[k]
            mean = sums[k] / n
            var = aux[k] / n - mean * mean
            if var < 0.0:
                var = 0.0
            scratch[k] = mean + math.sqrt(2.0 * var * e / n) + cc * 3.0 * b * e / n
    elif code == MOSS:
        for k in range(K):
            n = counts[k]
            g = math.log(T / (K * n))
            scratch[k] = sums[k] / n + (math.sqrt(g / n) if g > 0.0 else 0.0)
    return _argmax_first(scratch)


@njit(cache=True)
def _select_klucb(fp, t, counts, sums, aux, scratch):  # pragma: no cover - compiled
    """KL-UCB: every arm once, then the largest index (Bernoulli or Gaussian KL)."""
    K = counts.shape[0]
    k0 = _first_unplayed(counts)
    if k0 >= 0:
        return k0
    rhs = exploration_rhs(t - 1, fp[0])
    if fp[1] > 0.0:  # Gaussian KL: closed form
        for k in range(K):
            scratch[k] = sums[k] / counts[k] + fp[1] * math.sqrt(2.0 * rhs / counts[k])
        return _argmax_first(scratch)
    return _klucb_argmax(counts, sums, rhs, scratch, aux)


@njit(cache=True)
def select_arm(code, fp, t, T, counts, sums, aux, scratch, rng):  # pragma: no cover - compiled
    """The arm a built-in policy pulls at round ``t`` (see the policy classes)."""
    if _is_randomised(code):
        return _select_randomised(code, fp, t, counts, sums, aux, scratch, rng)
    if code == KLUCB:
        return _select_klucb(fp, t, counts, sums, aux, scratch)
    if code == DUCB or code == SWUCB:
        return _nonstationary_index(code, fp, t, counts, sums, aux, scratch)
    return _select_deterministic(code, fp, t, T, counts, sums, aux, scratch)


@njit(cache=True)
def _update_core(code, fp, arm, reward, counts, sums, aux, scratch):  # pragma: no cover - compiled
    if code == DUCB or code == SWUCB:
        _nonstationary_update(code, fp, arm, reward, counts, sums, aux, scratch)
        counts[arm] += 1.0
        return
    counts[arm] += 1.0
    sums[arm] += reward
    if code == UCB1:
        aux[arm] = 1.0 / math.sqrt(counts[arm])
    elif code == UCBV:
        aux[arm] += reward * reward
    elif code == KLUCB:
        aux[arm] = 0.0  # invalidates the arm's cached index (see _klucb_argmax)
    elif code == TS_BETA:
        if reward == 1.0:
            aux[arm] += 1.0
    elif code == EXP3:
        aux[arm] += fp[0] * (reward / scratch[arm]) / counts.shape[0]


@njit(cache=True)
def _binarise(aux, arm, reward, rng):  # pragma: no cover - compiled
    """Agrawal and Goyal's binarisation of a reward in (0, 1): a success w.p. reward."""
    if rng.random() < reward:
        aux[arm] += 1.0


@njit(cache=True)
def update_state(code, fp, arm, reward, counts, sums, aux, scratch, rng):  # pragma: no cover - compiled
    """Record ``reward`` for ``arm`` in the run's state arrays."""
    _update_core(code, fp, arm, reward, counts, sums, aux, scratch)
    if code == TS_BETA and 0.0 < reward < 1.0:
        _binarise(aux, arm, reward, rng)


@njit(cache=True)
def _ucb1_certificate(t, arm, sums, counts, inv_sqrt):  # pragma: no cover - compiled
    """UCB1's certificate after a full scan at round ``t`` chose ``arm``: the last round
    ``t1 = t + max(1, t >> 9)`` it covers and ``m_hi``, the largest other index at the
    round-``t1`` bonus plus a 1e-9 margin (``inv_sqrt[k] = 1 / sqrt(n_k)``)."""
    t1 = t + max(1, t >> 9)
    s_hi = math.sqrt(2.0 * math.log(t1 - 1))
    m_hi = -math.inf
    for k in range(counts.shape[0]):
        if k != arm:
            v = sums[k] / counts[k] + s_hi * inv_sqrt[k]
            if v > m_hi:
                m_hi = v
    return t1, m_hi + 1e-9


@njit(cache=True)
def _ucb1_bernoulli_run(T, K, means, oracle, noise, pseudo, realised, actions, record):  # pragma: no cover - compiled
    """UCB1 on stationary Bernoulli arms: :func:`run_index_policy`'s steps, lazily.

    The argmax of the UCB1 indices ``mu_k + s_t / sqrt(n_k)``, ``s_t = sqrt(2 log(t-1))``,
    is computed in full only when a *certificate* fails. After a full scan at round
    ``t0`` picks ``a``, every other arm's index up to round ``t1 = t0 + max(1, t0 >> 9)``
    is at most ``m_hi``, its index at ``s_{t1}`` (``s`` increases, and the other arms
    are not pulled meanwhile), while the leader's index is at least
    ``mu_a + s_{t0} / sqrt(n_a)``. So at a round ``t <= t1`` the leader is still the
    first maximiser whenever ``S_a + s_{t0} sqrt(n_a) > n_a (m_hi + 1e-9)`` (``S_a`` its
    reward sum); the 1e-9 margin is far above the rounding of any index, and an exact
    tie never passes, so ties still go to the first arm, as in the full scan. The
    pulled arms, hence the trajectories, are identical to the full scan of
    :func:`select_arm` at every round (``tests/bandits/test_engine.py``); on 10 arms
    about 94% of rounds skip the scan, with one square root and no division.
    """
    counts = np.zeros(K)
    sums = np.zeros(K)
    inv_sqrt = np.zeros(K)
    p = means[0]
    best = oracle[0]
    cp = 0.0
    cr = 0.0
    lead = -1
    prev = -1
    lead_t1 = 0
    s_lo = 0.0
    m_hi = 0.0
    for t in range(1, T + 1):
        if lead >= 0 and t <= lead_t1 and sums[lead] + s_lo * math.sqrt(counts[lead]) > counts[lead] * m_hi:
            arm = lead
        elif t <= K:
            arm = t - 1
            inv_sqrt[arm] = 1.0
        else:
            # the full scan: select_arm's operations (aux = 1 / sqrt(n), refreshed
            # for the arm pulled since the last scan)
            if prev >= 0:
                inv_sqrt[prev] = 1.0 / math.sqrt(counts[prev])
            bonus = math.sqrt(2.0 * math.log(t - 1))
            arm = 0
            top = sums[0] / counts[0] + bonus * inv_sqrt[0]
            for k in range(1, K):
                v = sums[k] / counts[k] + bonus * inv_sqrt[k]
                if v > top:
                    top = v
                    arm = k
            lead = arm
            prev = arm
            s_lo = bonus
            lead_t1, m_hi = _ucb1_certificate(t, arm, sums, counts, inv_sqrt)
        r = 1.0 if noise[t - 1, 0] < p[arm] else 0.0
        counts[arm] += 1.0
        sums[arm] += r
        cp += best - p[arm]
        cr += best - r
        pseudo[t - 1] = cp
        realised[t - 1] = cr
        if record:
            actions[t - 1] = arm
    return counts


@njit(cache=True)
def run_index_policy(
    code, fp, T, K, kind, means, scale, oracle, noise, rng, pseudo, realised, actions, record
):  # pragma: no cover - compiled
    """One run of ``T`` rounds; writes cumulative regrets (and actions) in place.

    Same steps as :func:`select_arm` and :func:`update_state`; the closed-form index
    policies are written out in the loop (Numba does not inline the call, which
    costs several times a UCB1 step).
    """
    single_m = means.shape[0] == 1
    single_o = oracle.shape[0] == 1
    if code == UCB1 and kind == ENV_BERNOULLI and single_m and single_o:
        return _ucb1_bernoulli_run(T, K, means, oracle, noise, pseudo, realised, actions, record)
    counts = np.zeros(K)
    sums = np.zeros(K)
    aux = np.zeros(K)
    scratch = np.zeros(scratch_size(code, fp, K, T))
    randomised = _is_randomised(code)
    nonstationary = code == DUCB or code == SWUCB
    cp = 0.0
    cr = 0.0
    # UCB1 certificate (see the docstring): until round lead_t1, ``lead`` is the
    # argmax as long as its index at the bonus s_lo beats m_hi
    lead = -1
    lead_t1 = 0
    s_lo = 0.0
    m_hi = 0.0
    for t in range(1, T + 1):
        if code == UCB1 and lead >= 0 and t <= lead_t1:
            if sums[lead] / counts[lead] + s_lo * aux[lead] > m_hi:
                arm = lead
            else:
                lead = -1
        else:
            lead = -1
        if lead >= 0:
            pass
        elif randomised:
            arm = _select_randomised(code, fp, t, counts, sums, aux, scratch, rng)
        elif code == KLUCB:
            arm = _select_klucb(fp, t, counts, sums, aux, scratch)
        elif nonstationary:
            arm = _nonstationary_index(code, fp, t, counts, sums, aux, scratch)
        else:
            # _select_deterministic, written out (a call costs 3-4x a UCB1 step);
            # tests/bandits/test_engine.py checks the two agree bit for bit
            arm = -1
            if code == ETC:
                if t <= int(fp[0]) * K:
                    arm = (t - 1) % K
            else:
                for k in range(K):
                    if counts[k] == 0.0:
                        arm = k
                        break
            if arm < 0:
                plays = t - 1
                if code == ETC:
                    for k in range(K):
                        scratch[k] = sums[k] / counts[k]
                elif code == UCB1:
                    bonus = math.sqrt(2.0 * math.log(plays))
                    for k in range(K):
                        scratch[k] = sums[k] / counts[k] + bonus * aux[k]
                elif code == UCBV:
                    zeta, b, cc = fp[0], fp[1], fp[2]
                    e = zeta * math.log(plays)
                    for k in range(K):
                        n = counts[k]
                        mean = sums[k] / n
                        var = aux[k] / n - mean * mean
                        if var < 0.0:
                            var = 0.0
                        scratch[k] = mean + math.sqrt(2.0 * var * e / n) + cc * 3.0 * b * e / n
                else:  # MOSS
                    for k in range(K):
                        n = counts[k]
                        g = math.log(T / (K * n))
                        scratch[k] = sums[k] / n + (math.sqrt(g / n) if g > 0.0 else 0.0)
                arm = 0
                for k in range(1, K):
                    if scratch[k] > scratch[arm]:
                        arm = k
                if code == UCB1:
                    # certificate for rounds t .. t1: the others' indices at the
                    # round-t1 bonus bound theirs until then (they are not pulled
                    # while it holds). The test evaluates the full scan's own
                    # expressions at bonuses s_lo <= s_t <= s_hi, and rounding is
                    # monotone, so a strict pass implies the full scan's choice;
                    # the 1e-9 margin is extra safety (smaller than an ulp for
                    # rewards of order 1e8, where monotonicity alone carries it)
                    lead = arm
                    s_lo = bonus
                    lead_t1, m_hi = _ucb1_certificate(t, arm, sums, counts, aux)
        mt = 0 if single_m else t - 1
        if kind == ENV_BERNOULLI:
            r = 1.0 if noise[t - 1, 0] < means[mt, arm] else 0.0
        elif kind == ENV_GAUSSIAN:
            r = means[mt, arm] + scale[arm] * noise[t - 1, 0]
        else:
            r = noise[t - 1, arm]
        # _update_core, written out for the same reason
        if nonstationary:
            _nonstationary_update(code, fp, arm, r, counts, sums, aux, scratch)
            counts[arm] += 1.0
        else:
            counts[arm] += 1.0
            sums[arm] += r
        if code == UCB1:
            aux[arm] = 1.0 / math.sqrt(counts[arm])
        elif code == UCBV:
            aux[arm] += r * r
        elif code == KLUCB:
            aux[arm] = 0.0
        elif code == TS_BETA:
            if r == 1.0:
                aux[arm] += 1.0
            elif 0.0 < r < 1.0:
                _binarise(aux, arm, r, rng)
        elif code == EXP3:
            aux[arm] += fp[0] * (r / scratch[arm]) / K
        ot = 0 if single_o else t - 1
        cp += oracle[ot] - means[mt, arm]
        cr += oracle[ot] - r
        pseudo[t - 1] = cp
        realised[t - 1] = cr
        if record:
            actions[t - 1] = arm
    return counts
