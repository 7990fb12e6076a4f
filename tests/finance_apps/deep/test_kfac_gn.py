"""K-FAC with Gauss-Newton curvature of an entropic risk, and its adaptive damping.

Independent sources:

* the brute-force Gauss-Newton matrix :math:`J^\\top H J`, with ``J`` the autograd
  Jacobian of the per-path outputs with respect to the layer's parameters and ``H`` the
  autograd Hessian of the risk with respect to the outputs (no formula of the
  optimizer is used); for a single linear layer whose paths share their input the
  Kronecker product of the factors must equal it;
* per-path output Jacobians written out by hand (numpy) for a two-layer network, and
  :math:`p = \\mathrm{softmax}(-aX)`, giving the :math:`p`-weighted factors;
* the Levenberg-Marquardt rule (Martens and Grosse 2015, §6.5) on a reduction ratio
  computed here from the brute-force Gauss-Newton quadratic model.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from finance_apps.deep import KFAC

A_RISK = 3.0


@pytest.fixture(autouse=True)
def one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def _entropic(x, a=A_RISK):
    return (torch.logsumexp(-a * x, dim=0) - math.log(x.numel())) / a


def _layer(n_in=3, n_out=2, seed=0, scale=0.7):
    g = torch.Generator().manual_seed(seed)
    lin = torch.nn.Linear(n_in, n_out).double()
    with torch.no_grad():
        for p in lin.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64) * scale)
    return lin


def _shared_input_problem(n=9, seed=1):
    """Paths share the layer input x; the outputs differ through multipliers y_i and offsets c_i."""
    rng = np.random.default_rng(seed)
    x = torch.tensor(np.tile(rng.standard_normal(3), (n, 1)))
    y = torch.tensor(rng.standard_normal((n, 2)))
    c = torch.tensor(rng.standard_normal(n))
    return x, y, c


def _outputs(lin, x, y, c):
    return (lin(x) * y).sum(dim=1) + c  # X_i = y_i . (W x_i + b) + c_i


def _brute_force_ggn(lin, x, y, c):
    """J^T H J with J (n, P) over vec([W, b]) column-major, H the Hessian of the risk in X."""
    W0, b0 = lin.weight.detach().clone(), lin.bias.detach().clone()
    out, inp = W0.shape

    def X_of(theta):
        M = theta.reshape(inp + 1, out).T  # column-major vec of [W, b]
        return ((x @ M[:, :inp].T + M[:, inp]) * y).sum(dim=1) + c

    theta0 = torch.cat([W0, b0[:, None]], dim=1).T.reshape(-1)
    J = torch.autograd.functional.jacobian(X_of, theta0)
    H = torch.autograd.functional.hessian(_entropic, X_of(theta0).detach())
    return (J.T @ H @ J).numpy()


def _one_gn_step(lin, x, y, c, **kwargs):
    opt = KFAC(lin, curvature="gauss_newton", momentum=0.0, kl_clip=None, **kwargs)
    opt.zero_grad()
    X = _outputs(lin, x, y, c)
    opt.observe_outputs(X, A_RISK)
    _entropic(X).backward()
    return opt


def test_gn_kronecker_product_is_the_brute_force_ggn_for_a_shared_input_layer():
    lin = _layer()
    x, y, c = _shared_input_problem()
    ggn = _brute_force_ggn(lin, x, y, c)
    opt = _one_gn_step(lin, x, y, c, learning_rate=1e-3)
    opt.step()
    A, G = opt.factors()[""]
    np.testing.assert_allclose(np.kron(A.numpy(), G.numpy()), ggn, rtol=1e-10, atol=1e-12)
    assert np.abs(ggn).max() > 1e-2  # not a vacuous comparison


def test_gn_factors_equal_explicit_p_weighted_per_path_jacobians():
    # two layers (tanh), paths with different inputs: A = sum p a a^T, G = a Cov_p(d)
    rng = np.random.default_rng(3)
    n = 12
    net = torch.nn.Sequential(_layer(3, 4, seed=2), torch.nn.Tanh(), _layer(4, 2, seed=5))
    x, y, c = rng.standard_normal((n, 3)), rng.standard_normal((n, 2)), rng.standard_normal(n)
    W1, b1 = net[0].weight.detach().numpy(), net[0].bias.detach().numpy()
    W2, b2 = net[2].weight.detach().numpy(), net[2].bias.detach().numpy()
    h = np.tanh(x @ W1.T + b1)
    X = ((h @ W2.T + b2) * y).sum(axis=1) + c
    p = np.exp(-A_RISK * (X - X.min()))
    p /= p.sum()
    d2 = y  # dX_i / ds2
    d1 = (y @ W2) * (1.0 - h**2)  # dX_i / ds1
    expected = {}
    for name, a_, d in (("0", np.c_[x, np.ones(n)], d1), ("2", np.c_[h, np.ones(n)], d2)):
        dbar = p @ d
        expected[name] = ((a_ * p[:, None]).T @ a_, A_RISK * ((d * p[:, None]).T @ d - np.outer(dbar, dbar)))
    opt = KFAC(net, learning_rate=1e-3, curvature="gauss_newton", momentum=0.0, kl_clip=None)
    opt.zero_grad()
    tX = ((net(torch.tensor(x)) * torch.tensor(y)).sum(dim=1)) + torch.tensor(c)
    opt.observe_outputs(tX, A_RISK)
    _entropic(tX).backward()
    opt.step()
    got = opt.factors()
    for name, (A, G) in expected.items():
        np.testing.assert_allclose(got[name][0].numpy(), A, rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(got[name][1].numpy(), G, rtol=1e-10, atol=1e-13)


def test_gn_recurrent_cell_factors_sum_over_time():
    # a Linear called T times: A = (1/T) sum_t sum_i p_i a a^T, G = a sum_t Cov_p(d_t)
    g = torch.Generator().manual_seed(0)
    cell = _layer(2 + 3, 3, seed=7, scale=0.5)
    N, T = 8, 4
    x = torch.randn(N, T, 2, generator=g, dtype=torch.float64)
    w = torch.randn(N, T, 3, generator=g, dtype=torch.float64)

    def forward():
        h = torch.zeros(N, 3, dtype=torch.float64)
        inputs, zs, X = [], [], 0.0
        for t in range(T):
            a_ = torch.cat([x[:, t], h], dim=1)
            z = cell(a_)
            inputs.append(a_)
            zs.append(z)
            h = torch.tanh(z)
            X = X + (h * w[:, t]).sum(dim=1)
        return inputs, zs, X

    # independent: per-path output Jacobians d_t = dX_i / dz_t from retain_grad on sum_i X_i
    inputs, zs, X = forward()
    for z in zs:
        z.retain_grad()
    X.sum().backward()
    p = torch.softmax(-A_RISK * X.detach(), dim=0).numpy()
    bars = [np.c_[a_.detach().numpy(), np.ones(N)] for a_ in inputs]
    A = sum((b * p[:, None]).T @ b for b in bars) / T
    G = 0.0
    for z in zs:
        d = z.grad.numpy()
        dbar = p @ d
        G = G + A_RISK * ((d * p[:, None]).T @ d - np.outer(dbar, dbar))
    cell.zero_grad()
    opt = KFAC(cell, learning_rate=1e-3, curvature="gauss_newton", momentum=0.0, kl_clip=None)
    opt.zero_grad()
    _, _, X = forward()
    opt.observe_outputs(X, A_RISK)
    _entropic(X).backward()
    opt.step()
    A_got, G_got = opt.factors()[""]
    np.testing.assert_allclose(A_got.numpy(), A, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(G_got.numpy(), G, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("interval", [1, 3])
def test_damping_falls_when_the_quadratic_model_is_accurate(interval):
    # a tiny step on the shared-input layer: the factored model is the exact GGN model,
    # the actual reduction matches it (r ~ 1 > 3/4), so lambda <- omega * lambda
    lin = _layer(seed=4)
    x, y, c = _shared_input_problem(seed=5)
    lam, decay = 1e-2, 0.9
    opt = KFAC(
        lin,
        learning_rate=1e-3,
        damping=lam,
        curvature="gauss_newton",
        momentum=0.0,
        kl_clip=None,
        adapt_damping=True,
        damping_adaptation_interval=interval,
        damping_adaptation_decay=decay,
        factor_decay=0.0,  # the model then uses this step's factors: the exact GGN here
    )
    for _ in range(interval):
        before_params = torch.cat([lin.weight, lin.bias[:, None]], dim=1).detach().clone()
        opt.zero_grad()
        X = _outputs(lin, x, y, c)
        opt.observe_outputs(X, A_RISK)
        loss = _entropic(X)
        loss.backward()
        grad = torch.cat([lin.weight.grad, lin.bias.grad[:, None]], dim=1).numpy().reshape(-1, order="F")
        opt.step(lambda: _entropic(_outputs(lin, x, y, c)))
    after = float(_entropic(_outputs(lin, x, y, c)).detach())
    delta = (torch.cat([lin.weight, lin.bias[:, None]], dim=1).detach() - before_params).numpy().reshape(-1, order="F")
    predicted = grad @ delta + 0.5 * delta @ _brute_force_ggn_at(before_params, lin, x, y, c) @ delta
    r = (after - float(loss.detach())) / predicted
    assert len(opt.reduction_ratios) == 1
    assert opt.reduction_ratios[0] == pytest.approx(r, rel=1e-6)
    assert r == pytest.approx(1.0, abs=0.02)
    assert opt.damping == pytest.approx(lam * decay**interval, rel=1e-12)


def _brute_force_ggn_at(params, lin, x, y, c):
    probe = _layer()
    with torch.no_grad():
        probe.weight.copy_(params[:, :-1])
        probe.bias.copy_(params[:, -1])
    return _brute_force_ggn(probe, x, y, c)


def test_damping_rises_when_the_step_increases_the_loss():
    lin = _layer(seed=6)
    x, y, c = _shared_input_problem(seed=7)
    lam = 1e-6
    opt = KFAC(
        lin,
        learning_rate=50.0,
        damping=lam,
        curvature="gauss_newton",
        momentum=0.0,
        kl_clip=None,
        adapt_damping=True,
        damping_adaptation_interval=1,
    )
    opt.zero_grad()
    X = _outputs(lin, x, y, c)
    opt.observe_outputs(X, A_RISK)
    before = float(_entropic(X).detach())
    _entropic(X).backward()
    opt.step(lambda: _entropic(_outputs(lin, x, y, c)))
    assert float(_entropic(_outputs(lin, x, y, c)).detach()) > before
    assert opt.reduction_ratios[0] < 0.25
    assert opt.damping == pytest.approx(lam / 0.95, rel=1e-12)


def test_damping_rule_band_and_bounds():
    opt = KFAC(_layer(), damping=1e-3, adapt_damping=True, damping_adaptation_interval=2, min_damping=9e-4)
    omega = 0.95**2
    opt._adapt(1.0, 0.5, -1.0)  # r = 0.5: inside [1/4, 3/4], unchanged
    assert opt.damping == 1e-3
    opt._adapt(1.0, 0.1, -1.0)  # r = 0.9: shrink, but not below min_damping
    assert opt.damping == pytest.approx(max(9e-4, 1e-3 * omega))
    opt._adapt(1.0, 0.1, -1.0)
    assert opt.damping == 9e-4
    opt._adapt(1.0, 2.0, -1.0)  # r = -1 (the loss rose): grow
    assert opt.damping == pytest.approx(9e-4 / omega)
    opt._adapt(1.0, float("nan"), -1.0)  # a non-finite loss counts as a failed step
    assert opt.damping == pytest.approx(9e-4 / omega**2)
    assert opt.reduction_ratios[:4] == pytest.approx([0.5, 0.9, 0.9, -1.0])


def test_gn_usage_errors():
    lin = _layer()
    x, y, c = _shared_input_problem()
    ef = KFAC(lin)
    with pytest.raises(RuntimeError, match="gauss_newton"):
        ef.observe_outputs(_outputs(lin, x, y, c), 1.0)
    ef.remove_hooks()
    gn = KFAC(lin, curvature="gauss_newton", adapt_damping=True, damping_adaptation_interval=1)
    with pytest.raises(ValueError, match=r"^risk_aversion\b"):
        gn.observe_outputs(_outputs(lin, x, y, c), -1.0)
    with pytest.raises(ValueError, match=r"^outputs\b"):
        gn.observe_outputs(lin(x), 1.0)
    gn.zero_grad()
    _entropic(_outputs(lin, x, y, c)).backward()
    with pytest.raises(RuntimeError, match="closure"):
        gn.step()
    with pytest.raises(RuntimeError, match="observe_outputs"):
        gn.step(lambda: 0.0)
    with pytest.raises(ValueError, match=r"^curvature\b"):
        KFAC(lin, curvature="fisher")


def test_train_hedger_with_gauss_newton_and_adaptive_damping():
    from finance_apps import EntropicRisk, ExpectedShortfall, call_payoff
    from finance_apps.deep import feedforward_hedger, hedging_features, train_hedger

    rng = np.random.default_rng(0)
    S = np.exp(np.cumsum(np.c_[np.zeros(256), 0.02 * rng.standard_normal((256, 5))], axis=1))[:, :, None]
    Z = call_payoff(S, 1.0)
    X = hedging_features(S, np.linspace(0, 0.05, 6), 1.0)
    opts = {"curvature": "gauss_newton", "adapt_damping": True, "damping": 1e-2, "kl_clip": 1e-3, "momentum": 0.0}
    h = feedforward_hedger(2, hidden_sizes=(8,), rng=0)
    res = train_hedger(
        h, S, Z, X, EntropicRisk(20.0), optimizer="kfac", learning_rate=1.0, n_iterations=30, batch_size=128,
        kfac_options=opts, rng=0,
    )  # fmt: skip
    assert res.final_risk < res.eval_risk[0]
    with pytest.raises(ValueError, match=r"^kfac_options\b"):
        train_hedger(h, S, Z, X, ExpectedShortfall(0.5), optimizer="kfac", kfac_options=opts, n_iterations=1)
