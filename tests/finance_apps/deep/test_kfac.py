"""K-FAC: factors against explicit per-sample computations, the step against a Kronecker solve.

Independent sources:

* a tiny two-layer network whose per-sample activations and back-propagated output
  gradients are written out by hand (numpy), giving ``A = E[a a^T]`` and
  ``G = E[g g^T]`` without hooks;
* with a single sample the Kronecker product is exact: ``A (x) G`` equals the outer
  product of the per-sample weight gradient from autograd (the empirical Fisher block);
* an unrolled recurrent cell: per-time-step output gradients from ``retain_grad``
  (not from the optimizer's hooks), giving the KF-Ind factors of Martens, Ba and
  Johnson (2018);
* the preconditioned step against ``np.linalg.solve(np.kron(A_d, G_d), vec(grad))``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from finance_apps.deep import KFAC


@pytest.fixture(autouse=True)
def one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def _net(seed=0):
    g = torch.Generator().manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2)).double()
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64) * 0.7)
    return net


def _data(n, seed=1):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 3)), rng.standard_normal((n, 2))


def test_factors_equal_explicit_per_sample_computation():
    net = _net()
    x, y = _data(16)
    W1, b1 = net[0].weight.detach().numpy(), net[0].bias.detach().numpy()
    W2, b2 = net[2].weight.detach().numpy(), net[2].bias.detach().numpy()
    # by hand: per-sample loss l_i = |f(x_i) - y_i|^2, batch loss = mean_i l_i
    s1 = x @ W1.T + b1
    h = np.tanh(s1)
    s2 = h @ W2.T + b2
    g2 = 2.0 * (s2 - y)  # dl_i / ds2
    g1 = (g2 @ W2) * (1.0 - h**2)  # dl_i / ds1
    a1 = np.c_[x, np.ones(16)]
    a2 = np.c_[h, np.ones(16)]
    expected = {
        "0": (a1.T @ a1 / 16, g1.T @ g1 / 16),
        "2": (a2.T @ a2 / 16, g2.T @ g2 / 16),
    }
    opt = KFAC(net, learning_rate=1e-3, momentum=0.0, kl_clip=None)
    opt.zero_grad()
    loss = ((net(torch.tensor(x)) - torch.tensor(y)) ** 2).sum(dim=1).mean()
    loss.backward()
    opt.step()
    got = opt.factors()
    assert set(got) == {"0", "2"}
    for name, (A, G) in expected.items():
        np.testing.assert_allclose(got[name][0].numpy(), A, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(got[name][1].numpy(), G, rtol=1e-12, atol=1e-12)


def test_single_sample_kronecker_product_is_the_empirical_fisher():
    net = _net(3)
    x, y = _data(1, seed=4)
    opt = KFAC(net, learning_rate=1e-3, momentum=0.0, kl_clip=None)
    opt.zero_grad()
    loss = ((net(torch.tensor(x)) - torch.tensor(y)) ** 2).sum()
    loss.backward()
    grads = {}
    for name in ("0", "2"):
        layer = net[int(name)]
        # vec(grad) column-major of the augmented matrix [W, b]
        mat = torch.cat([layer.weight.grad, layer.bias.grad[:, None]], dim=1).numpy()
        grads[name] = mat.reshape(-1, order="F")
    opt.step()
    for name, (A, G) in opt.factors().items():
        F = np.outer(grads[name], grads[name])
        np.testing.assert_allclose(np.kron(A.numpy(), G.numpy()), F, rtol=1e-10, atol=1e-12)


def test_recurrent_cell_factors_are_kf_ind():
    # one Linear called at every step of an unrolled RNN; loss = mean_i sum_t |h_t - y_t|^2
    g = torch.Generator().manual_seed(0)
    cell = torch.nn.Linear(2 + 3, 3).double()
    with torch.no_grad():
        for p in cell.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64) * 0.5)
    N, T = 8, 5
    x = torch.randn(N, T, 2, generator=g, dtype=torch.float64)
    y = torch.randn(N, T, 3, generator=g, dtype=torch.float64)
    opt = KFAC(cell, learning_rate=1e-3, momentum=0.0, kl_clip=None)
    opt.zero_grad()
    h = torch.zeros(N, 3, dtype=torch.float64)
    inputs, outs, loss = [], [], 0.0
    for t in range(T):
        a = torch.cat([x[:, t], h], dim=1)
        inputs.append(a.detach().numpy())
        z = cell(a)
        z.retain_grad()
        outs.append(z)
        h = torch.tanh(z)
        loss = loss + ((h - y[:, t]) ** 2).sum(dim=1).mean()
    loss.backward()
    a_all = np.concatenate([np.c_[a, np.ones(N)] for a in inputs])  # (N T, 6)
    g_all = np.concatenate([N * z.grad.numpy() for z in outs])  # per-sample output gradients
    A = a_all.T @ a_all / (N * T)
    G = T * (g_all.T @ g_all) / (N * T)  # F ~ T * E[a a^T] (x) E[g g^T]  (KF-Ind)
    opt.step()
    A_got, G_got = opt.factors()[""]
    np.testing.assert_allclose(A_got.numpy(), A, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(G_got.numpy(), G, rtol=1e-12, atol=1e-13)


def test_step_is_the_damped_kronecker_solve():
    net = _net(5)
    x, y = _data(32, seed=6)
    lr, lam = 0.1, 1e-2
    opt = KFAC(net, learning_rate=lr, damping=lam, momentum=0.0, kl_clip=None)
    before = {n: torch.cat([net[int(n)].weight, net[int(n)].bias[:, None]], 1).detach().clone() for n in ("0", "2")}
    opt.zero_grad()
    ((net(torch.tensor(x)) - torch.tensor(y)) ** 2).sum(dim=1).mean().backward()
    grads = {n: torch.cat([net[int(n)].weight.grad, net[int(n)].bias.grad[:, None]], 1).clone() for n in ("0", "2")}
    opt.step()
    for name, (A, G) in opt.factors().items():
        A, G = A.numpy(), G.numpy()
        pi = math.sqrt((np.trace(A) / A.shape[0]) / (np.trace(G) / G.shape[0]))
        Ad = A + pi * math.sqrt(lam) * np.eye(A.shape[0])
        Gd = G + math.sqrt(lam) / pi * np.eye(G.shape[0])
        vec = grads[name].numpy().reshape(-1, order="F")
        step = np.linalg.solve(np.kron(Ad, Gd), vec).reshape(grads[name].shape, order="F")
        after = torch.cat([net[int(name)].weight, net[int(name)].bias[:, None]], 1).detach().numpy()
        np.testing.assert_allclose(after, before[name].numpy() - lr * step, rtol=1e-9, atol=1e-12)


def test_factor_decay_and_inverse_frequency():
    net = _net(7)
    opt = KFAC(net, learning_rate=1e-3, factor_decay=0.8, inverse_update_freq=3, momentum=0.0, kl_clip=None)
    hats, invs = [], []
    for seed in range(4):
        x, y = _data(10, seed=10 + seed)
        opt.zero_grad()
        ((net(torch.tensor(x)) - torch.tensor(y)) ** 2).sum(dim=1).mean().backward()
        a = np.c_[torch.tensor(x).numpy(), np.ones(10)]
        hats.append(a.T @ a / 10)  # first layer's A-hat: the inputs do not depend on the weights
        opt.step()
        invs.append(opt._state["0"].A_inv.clone())
    ema = hats[0]
    for h in hats[1:]:
        ema = 0.8 * ema + 0.2 * h
    np.testing.assert_allclose(opt.factors()["0"][0].numpy(), ema, rtol=1e-12)
    assert torch.equal(invs[0], invs[1]) and torch.equal(invs[1], invs[2])  # steps 0, 1, 2
    assert not torch.equal(invs[2], invs[3])  # recomputed at step 3


def test_no_recording_outside_training():
    net = _net()
    opt = KFAC(net)
    with torch.no_grad():
        net(torch.zeros(5, 3, dtype=torch.float64))
    net.eval()
    net(torch.zeros(5, 3, dtype=torch.float64))
    assert all(not st.acts for st in opt._state.values())
    net.train()
    with pytest.raises(RuntimeError, match="backward"):
        opt.step()


def test_kfac_descends_on_a_badly_scaled_regression():
    # inputs on scales 1 and 100: K-FAC's A factor whitens them; the loss must fall
    g = torch.Generator().manual_seed(0)
    x = torch.randn(256, 2, generator=g, dtype=torch.float64) * torch.tensor([1.0, 100.0], dtype=torch.float64)
    y = x @ torch.tensor([[1.0], [0.01]], dtype=torch.float64) + 0.1 * torch.randn(
        256, 1, generator=g, dtype=torch.float64
    )
    net = torch.nn.Linear(2, 1).double()
    with torch.no_grad():
        net.weight.zero_()
        net.bias.zero_()
    opt = KFAC(net, learning_rate=0.2, damping=1e-4, momentum=0.0, kl_clip=None)
    first = None
    for _ in range(30):
        opt.zero_grad()
        loss = ((net(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        first = float(loss.detach()) if first is None else first
    final = float(((net(x) - y) ** 2).mean().detach())
    assert final < 0.05 * first  # noise floor 0.01 vs start ~2


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        ({"learning_rate": 0.0}, ValueError, "learning_rate"),
        ({"damping": -1.0}, ValueError, "damping"),
        ({"factor_decay": 1.0}, ValueError, "factor_decay"),
        ({"inverse_update_freq": 0}, ValueError, "inverse_update_freq"),
        ({"momentum": True}, TypeError, "momentum"),
    ],
)
def test_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        KFAC(_net(), **kwargs)


def test_model_without_linear_layers_is_rejected():
    with pytest.raises(ValueError, match="Linear"):
        KFAC(torch.nn.Tanh())
    with pytest.raises(TypeError, match="model"):
        KFAC("net")


def test_kl_clip_and_momentum_against_explicit_two_steps():
    # one Linear layer, two steps written out in numpy: damped Kronecker solve, KL clip
    # nu = min(1, sqrt(kl / (lr^2 sum v.g))) (Ba, Grosse and Martens 2017) and heavy ball
    lr, lam, kl, mom, eps = 0.05, 1e-2, 1e-4, 0.9, 0.5
    g = torch.Generator().manual_seed(11)
    net = torch.nn.Linear(3, 2).double()
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64))
    opt = KFAC(net, learning_rate=lr, damping=lam, factor_decay=eps, inverse_update_freq=1, momentum=mom, kl_clip=kl)
    Wb = np.c_[net.weight.detach().numpy(), net.bias.detach().numpy()]
    A = G = buf = None
    nus = []
    for step in range(2):
        x, y = _data(20, seed=30 + step)
        a = np.c_[x, np.ones(20)]
        gs = 2.0 * (a @ Wb.T - y)  # per-sample dl_i/ds for l_i = |s_i - y_i|^2
        grad = gs.T @ a / 20
        A_hat, G_hat = a.T @ a / 20, gs.T @ gs / 20
        A, G = (A_hat, G_hat) if A is None else (eps * A + (1 - eps) * A_hat, eps * G + (1 - eps) * G_hat)
        pi = math.sqrt((np.trace(A) / 4) / (np.trace(G) / 2))
        v = np.linalg.solve(G + math.sqrt(lam) / pi * np.eye(2), grad) @ np.linalg.inv(
            A + pi * math.sqrt(lam) * np.eye(4)
        )
        nu = min(1.0, math.sqrt(kl / (lr**2 * float((v * grad).sum()))))
        nus.append(nu)
        buf = nu * v if buf is None else mom * buf + nu * v
        Wb = Wb - lr * buf
        opt.zero_grad()
        ((net(torch.tensor(x)) - torch.tensor(y)) ** 2).sum(dim=1).mean().backward()
        opt.step()
        got = np.c_[net.weight.detach().numpy(), net.bias.detach().numpy()]
        np.testing.assert_allclose(got, Wb, rtol=1e-10, atol=1e-12)
    assert nus[0] < 1.0  # the clip is active, so the test exercises it


@pytest.mark.parametrize(
    "kwargs,exc,name",
    [
        ({"learning_rate": float("nan")}, ValueError, "learning_rate"),
        ({"inverse_update_freq": 2.0}, TypeError, "inverse_update_freq"),  # was a ValueError
        ({"factor_update_freq": 2**63}, ValueError, "factor_update_freq"),
        ({"kl_clip": 0.0}, ValueError, "kl_clip"),
        ({"weight_decay": float("inf")}, ValueError, "weight_decay"),
    ],
)
def test_bad_arguments_are_refused_by_name(kwargs, exc, name):
    with pytest.raises(exc, match=rf"^{name}\b"):
        KFAC(_net(), **kwargs)
