"""Ray sampling: stratified depths, ray-box limits, importance sampling (torch parity + statistics)."""

import jax
import jax.numpy as jnp
import numpy as np
import torch

from gazejax.torch_reference import eg3d_renderer as ref
from gazejax.render.ray_sampling import (
    PDF_EPS,
    WEIGHT_FLOOR,
    auto_ray_limits,
    importance_depths,
    ray_box_limits,
    sample_pdf,
    stratified_depths,
)


def test_stratified_depths_match_torch_fixed_and_per_ray_limits():
    rng = np.random.default_rng(0)
    jitter = rng.random((2, 5, 8)).astype(np.float32)
    want = ref.sample_stratified((2, 5), 2.25, 3.3, 8, torch.from_numpy(jitter)[..., None])[..., 0]
    np.testing.assert_allclose(stratified_depths(2.25, 3.3, 8, jnp.asarray(jitter)), want.numpy(), atol=1e-6)
    start = rng.random((2, 5)).astype(np.float32) + 1.0
    end = start + rng.random((2, 5)).astype(np.float32) + 0.1
    want = ref.sample_stratified_auto(torch.from_numpy(start)[..., None], torch.from_numpy(end)[..., None], 8,
                                      torch.from_numpy(jitter)[..., None])[..., 0]
    got = stratified_depths(jnp.asarray(start), jnp.asarray(end), 8, jnp.asarray(jitter))
    np.testing.assert_allclose(got, want.numpy(), atol=1e-6)


def test_ray_box_limits_analytic_and_torch():
    origins = jnp.array([[0.0, 0.0, 2.0], [0.0, 0.0, 2.0], [0.3, 0.1, 2.0], [5.0, 5.0, 5.0]])
    dirs = jnp.array([[0.0, 0.0, -1.0], [1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [-0.6, -0.64, -0.48]])
    t_min, t_max = ray_box_limits(origins, dirs, 1.0)
    np.testing.assert_allclose(t_min[np.array([0, 2])], [1.5, 1.5], atol=1e-6)  # enters z = 0.5
    np.testing.assert_allclose(t_max[np.array([0, 2])], [2.5, 2.5], atol=1e-6)  # leaves z = -0.5
    assert (t_min[1], t_max[1]) == (-1.0, -2.0)  # parallel to the box, outside: a miss
    rng = np.random.default_rng(1)
    o = rng.normal(size=(64, 3)).astype(np.float32) * 2
    d = rng.normal(size=(64, 3)).astype(np.float32)
    d /= np.linalg.norm(d, axis=-1, keepdims=True)
    want_min, want_max = ref.ray_limits_box(torch.from_numpy(o), torch.from_numpy(d), 1.5)
    got_min, got_max = ray_box_limits(jnp.asarray(o), jnp.asarray(d), 1.5)
    np.testing.assert_allclose(got_min, want_min[:, 0].numpy(), atol=1e-5)
    np.testing.assert_allclose(got_max, want_max[:, 0].numpy(), atol=1e-5)
    start, end = auto_ray_limits(jnp.asarray(o)[None], jnp.asarray(d)[None], 1.5)
    hit = np.asarray(got_max > got_min)
    assert 0 < hit.sum() < 64
    np.testing.assert_allclose(start[0, ~hit], np.min(np.asarray(got_min)[hit]))
    np.testing.assert_allclose(end[0, ~hit], np.max(np.asarray(got_min)[hit]))  # EG3D's (sic) rule


def test_importance_depths_match_torch_for_the_same_uniforms():
    rng = np.random.default_rng(2)
    depths = np.sort(rng.uniform(2.0, 3.0, (2, 6, 12)), axis=-1).astype(np.float32)
    weights = (rng.random((2, 6, 11)) ** 4).astype(np.float32)
    u = rng.random((2, 6, 9)).astype(np.float32)
    want = ref.sample_importance(torch.from_numpy(depths)[..., None], torch.from_numpy(weights)[..., None],
                                 torch.from_numpy(u.reshape(12, 9)))[..., 0]
    got = importance_depths(jnp.asarray(depths), jnp.asarray(weights), jnp.asarray(u))
    np.testing.assert_allclose(got, want.numpy(), atol=1e-5)


def test_sample_pdf_matches_torch_with_empty_bins():
    bins = jnp.linspace(0.0, 1.0, 6)[None].repeat(3, 0)
    weights = jnp.array([[0.0, 0.0, 1.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0, 1.0], [0.0, 3.0, 0.0, 0.0, 1.0]])
    u = jnp.array([[0.0, 0.3, 0.5, 0.999], [0.1, 0.2, 0.7, 0.95], [0.0, 0.5, 0.75, 0.8]])
    want = ref.sample_pdf(torch.tensor(np.array(bins)), torch.tensor(np.array(weights)), torch.tensor(np.array(u)))
    np.testing.assert_allclose(sample_pdf(bins, weights, u), want.numpy(), atol=1e-6)


def test_importance_samples_follow_the_smoothed_coarse_weights():
    """Histogram of 40k fine samples vs the smoothed pdf, within 4 binomial standard deviations."""
    s, n = 16, 40_000
    depths = jnp.linspace(2.0, 3.0, s)[None, None]
    weights = jnp.zeros((1, 1, s - 1)).at[..., 9].set(1.0)
    u = jax.random.uniform(jax.random.key(0), (1, 1, n))
    samples = np.asarray(importance_depths(depths, weights, u))[0, 0]
    # EG3D smoothing by hand: max-pool (2, stride 1, pad 1), avg-pool 2, floor, drop the ends.
    w = np.asarray(weights)[0, 0]
    m = np.maximum(np.r_[-np.inf, w], np.r_[w, -np.inf])
    pdf = (0.5 * (m[:-1] + m[1:]) + WEIGHT_FLOOR)[1:-1] + PDF_EPS
    pdf /= pdf.sum()
    mids = np.asarray(0.5 * (depths[0, 0, 1:] + depths[0, 0, :-1]))
    edges = mids[: len(pdf) + 1]  # EG3D passes one edge more than sample_pdf uses
    counts, _ = np.histogram(samples, bins=edges)
    expected = pdf * n
    assert np.all(np.abs(counts - expected) <= 4 * np.sqrt(expected * (1 - pdf)) + 1)
    assert counts.sum() == n
    peak = (edges[7] <= samples) & (samples < edges[10])  # the smoothed bump around interval 9
    assert peak.mean() > 0.9
