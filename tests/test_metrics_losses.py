"""Metrics and reconstruction/adversarial losses against values computed by hand."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gazejax import metrics
from gazejax.losses import adversarial, reconstruction


def test_psnr_known_value_and_mask():
    a = jnp.zeros((2, 8, 8, 3))
    b = a.at[0].set(0.1).at[1, :4].set(0.1)
    # image 0: MSE 0.01 -> 20 dB; image 1 inside a mask covering rows 4.. only: perfect
    np.testing.assert_allclose(metrics.psnr(a, b)[0], 20.0, atol=1e-4)
    mask = jnp.zeros((2, 8, 8)).at[:, 4:].set(1.0)
    assert float(metrics.psnr(a, b, mask)[1]) > 90.0
    np.testing.assert_allclose(metrics.psnr(a, b, mask)[0], 20.0, atol=1e-4)


def _ssim_reference(x, y):
    """Direct per-window SSIM (single channel), independent of the separable filter."""
    size, sigma = 11, 1.5
    g = np.exp(-((np.arange(size) - 5.0) ** 2) / (2 * sigma**2))
    w = np.outer(g, g) / np.outer(g, g).sum()
    c1, c2 = 0.01**2, 0.03**2
    vals = []
    for i in range(x.shape[0] - size + 1):
        for j in range(x.shape[1] - size + 1):
            px, py = x[i : i + size, j : j + size], y[i : i + size, j : j + size]
            mx, my = (w * px).sum(), (w * py).sum()
            vx = (w * px * px).sum() - mx**2
            vy = (w * py * py).sum() - my**2
            cxy = (w * px * py).sum() - mx * my
            vals.append(((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2)))
    return float(np.mean(vals))


def test_ssim_matches_direct_formula():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(16, 16)).astype(np.float32)
    y = np.clip(x + 0.1 * rng.normal(size=x.shape), 0, 1).astype(np.float32)
    got = metrics.ssim(jnp.asarray(x)[None, ..., None], jnp.asarray(y)[None, ..., None])
    np.testing.assert_allclose(got[0], _ssim_reference(x, y), atol=1e-5)
    same = metrics.ssim(jnp.asarray(x)[None, ..., None], jnp.asarray(x)[None, ..., None])
    np.testing.assert_allclose(same[0], 1.0, atol=1e-6)


def test_masked_l1_counts_only_masked_pixels():
    pred = jnp.zeros((1, 4, 4, 3))
    target = pred.at[0, 0, 0].set(1.0).at[0, 3, 3].set(5.0)
    mask = jnp.zeros((1, 4, 4)).at[0, 0, :2].set(1.0)
    assert float(reconstruction.masked_l1(pred, target, mask)) == pytest.approx(3.0 / 6.0)
    assert float(reconstruction.masked_mse(pred, target, mask)) == pytest.approx(3.0 / 6.0)
    assert float(reconstruction.masked_l1(pred, target, jnp.zeros((1, 4, 4)))) == 0.0


def test_gan_losses_and_r1():
    real, fake = jnp.array([2.0, 3.0]), jnp.array([-1.0, 0.0])
    assert float(adversarial.nonsaturating_g(fake)) == pytest.approx(np.mean(np.log1p(np.exp([1.0, 0.0]))), rel=1e-6)
    expected_d = np.mean(np.log1p(np.exp([-1.0, 0.0]))) + np.mean(np.log1p(np.exp([-2.0, -3.0])))
    assert float(adversarial.nonsaturating_d(real, fake)) == pytest.approx(expected_d, rel=1e-6)
    assert float(adversarial.wasserstein_d(real, fake)) == pytest.approx(-0.5 - 2.5)
    # D(x) = sum(w * x): grad = w, so R1 = |w|^2 for every sample.
    w = jnp.array([1.0, -2.0, 0.5])
    x = jax.random.normal(jax.random.key(0), (4, 3))
    assert float(adversarial.r1_penalty(lambda v: v @ w, x)) == pytest.approx(5.25, rel=1e-6)
