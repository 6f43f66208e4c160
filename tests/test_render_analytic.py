"""The two-pass renderer against analytic ground truth, and its gradients against finite differences."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gazejax.geometry import camera_label, eg3d_rays
from gazejax.render.eg3d_renderer import render, triplane_field
from gazejax.render.osg_decoder import OSGDecoder

RADIUS = 0.2
OPTS = dict(ray_start=2.25, ray_end=3.3, n_coarse=48, n_fine=48)
COLOR = jnp.array([0.2, 0.5, 0.9])


def sphere_field(points, dirs):
    """Opaque sphere of radius RADIUS at the origin, coloured COLOR everywhere."""
    del dirs
    inside = jnp.linalg.norm(points, axis=-1, keepdims=True) < RADIUS
    sigma = jnp.where(inside, 400.0, -40.0)  # after softplus(s - 1): ~400 inside, ~0 outside
    return jnp.broadcast_to(COLOR, points.shape[:-1] + (3,)), sigma


def _rays(resolution, yaw=0.0, pitch=0.0):
    origins, dirs = eg3d_rays(camera_label(jnp.array([yaw]), jnp.array([pitch])), resolution)
    return origins, dirs


def _render_sphere(origins, dirs, key, **overrides):
    """Jitted render of the sphere (eager dispatch of the whole renderer is slow)."""
    opts = {**OPTS, **overrides}
    if key is None:
        return jax.jit(lambda o, d: render(sphere_field, o, d, None, **opts))(origins, dirs)
    return jax.jit(lambda o, d, k: render(sphere_field, o, d, k, **opts))(origins, dirs, key)


def _sphere_truth(origins, dirs):
    """Distance to the first hit of the sphere (inf on a miss)."""
    b = jnp.sum(origins * dirs, -1)
    disc = b**2 - (jnp.sum(origins**2, -1) - RADIUS**2)
    return jnp.where(disc > 0, -b - jnp.sqrt(jnp.maximum(disc, 0.0)), jnp.inf)


@pytest.mark.parametrize("key", [None, jax.random.key(3)])
def test_sphere_depth_silhouette_and_constant_colour(key):
    origins, dirs = _rays(32, yaw=0.3, pitch=-0.2)
    out = _render_sphere(origins, dirs, key)
    truth = np.asarray(_sphere_truth(origins, dirs))[0]
    opacity, depth = np.asarray(out["opacity"])[0, :, 0], np.asarray(out["depth"])[0, :, 0]
    hit = np.isfinite(truth)
    # Silhouette: exact away from the rim (grazing rays cross the sphere in less than a sample spacing).
    b = np.asarray(jnp.sum(origins * dirs, -1))[0]
    miss_distance = np.sqrt(np.maximum(np.sum(np.asarray(origins[0]) ** 2, -1) - b**2, 0))
    clear = np.abs(miss_distance - RADIUS) > 0.02
    assert 100 < hit.sum() < hit.size - 100
    np.testing.assert_array_equal(opacity[clear] > 0.5, hit[clear])
    np.testing.assert_allclose(opacity[clear & hit], 1.0, atol=1e-4)
    np.testing.assert_allclose(opacity[clear & ~hit], 0.0, atol=1e-4)
    # Depth: within a coarse sample spacing (1.05 / 47) of the analytic hit.
    np.testing.assert_allclose(depth[clear & hit], truth[clear & hit], atol=1.05 / 47)
    # Constant colour: every ray shows COLOR, scaled by its opacity.
    np.testing.assert_allclose(out["rgb"][0], np.asarray(COLOR) * opacity[:, None], atol=1e-5)


def test_importance_pass_sharpens_depth():
    origins, dirs = _rays(16)
    truth = np.asarray(_sphere_truth(origins, dirs))[0]
    hit = np.isfinite(truth) & (np.abs(truth - 2.5) < 0.1)
    errors = []
    for n_fine in (0, 48):
        out = _render_sphere(origins, dirs, None, n_fine=n_fine)
        errors.append(np.abs(np.asarray(out["depth"])[0, hit, 0] - truth[hit]).mean())
    assert errors[1] < 0.5 * errors[0]


def test_auto_limits_and_white_background():
    origins, dirs = _rays(16)
    out = _render_sphere(origins, dirs, None, ray_start="auto", ray_end="auto", n_coarse=32, n_fine=32,
                         box_side=1.0, white_background=True)
    truth = np.asarray(_sphere_truth(origins, dirs))[0]
    hit = np.isfinite(truth)
    opacity = np.asarray(out["opacity"])[0, :, 0]
    np.testing.assert_allclose(out["rgb"][0], np.asarray(COLOR) * opacity[:, None] + 1 - opacity[:, None], atol=1e-5)
    np.testing.assert_allclose(np.asarray(out["rgb"])[0, ~hit], 1.0, atol=1e-4)  # white where the sphere is missed


def test_chunked_render_equals_unchunked_and_key_is_reproducible():
    origins, dirs = _rays(10)  # 100 rays: chunks of 32 need padding
    key = jax.random.key(0)
    full = _render_sphere(origins, dirs, key)
    chunked = _render_sphere(origins, dirs, key, chunk_rays=32)
    for name in ("rgb", "depth", "opacity"):
        np.testing.assert_allclose(chunked[name], full[name], atol=1e-6)
    other = _render_sphere(origins, dirs, jax.random.key(1))
    assert not np.allclose(other["depth"], full["depth"])


def _tiny_triplane_scene():
    decoder = OSGDecoder(out_features=3, hidden=8)
    k_planes, k_dec = jax.random.split(jax.random.key(7))
    planes = jax.random.normal(k_planes, (1, 3, 5, 5, 4))
    variables = decoder.init(k_dec, jnp.zeros((1, 1, 4)))
    origins, dirs = _rays(3)
    return decoder, planes, variables, origins * 0.5, dirs  # camera at radius 1.35, box of side 2


def _loss(decoder, planes, variables, origins, dirs, n_fine):
    field = triplane_field(decoder, variables, planes, box_warp=2.0)
    out = render(field, origins, dirs, None, ray_start=0.6, ray_end=2.1, n_coarse=8, n_fine=n_fine)
    weights = jnp.linspace(0.5, 1.5, out["rgb"].size).reshape(out["rgb"].shape)
    return jnp.sum(out["rgb"] * weights) + jnp.sum(out["depth"])


def test_gradients_match_finite_differences():
    """Directional derivatives along random directions, single pass (fine samples are detached)."""
    decoder, planes, variables, origins, dirs = _tiny_triplane_scene()
    loss = jax.jit(lambda p, v: _loss(decoder, p, v, origins, dirs, n_fine=0))
    g_planes, g_vars = jax.jit(jax.grad(loss, argnums=(0, 1)))(planes, variables)
    assert np.all(np.isfinite(g_planes)) and float(jnp.abs(g_planes).sum()) > 0
    rng = np.random.default_rng(0)
    eps = 1e-2
    d_planes = jnp.asarray(rng.normal(size=planes.shape), jnp.float32)
    fd = (loss(planes + eps * d_planes, variables) - loss(planes - eps * d_planes, variables)) / (2 * eps)
    np.testing.assert_allclose(fd, jnp.sum(g_planes * d_planes), rtol=2e-3)
    d_vars = jax.tree_util.tree_map(lambda v: jnp.asarray(rng.normal(size=v.shape), jnp.float32), variables)
    shift = lambda s: jax.tree_util.tree_map(lambda v, d: v + s * d, variables, d_vars)  # noqa: E731
    fd = (loss(planes, shift(eps)) - loss(planes, shift(-eps))) / (2 * eps)
    ad = sum(jnp.sum(g * d) for g, d in zip(jax.tree_util.tree_leaves(g_vars), jax.tree_util.tree_leaves(d_vars)))
    np.testing.assert_allclose(fd, ad, rtol=2e-3)


def test_two_pass_gradients_are_finite():
    decoder, planes, variables, origins, dirs = _tiny_triplane_scene()
    grad_fn = jax.jit(jax.grad(lambda p, v: _loss(decoder, p, v, origins, dirs, n_fine=8), (0, 1)))
    g_planes, g_vars = grad_fn(planes, variables)
    for leaf in [g_planes] + jax.tree_util.tree_leaves(g_vars):
        assert np.all(np.isfinite(leaf)) and float(jnp.abs(leaf).sum()) > 0


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(ray_start=3.0, ray_end=2.0), "ray_start < ray_end"),
        (dict(ray_start="auto", ray_end=3.0), "both be 'auto'"),
        (dict(ray_start="auto", ray_end="auto"), "box_side"),
        (dict(n_coarse=1), "n_coarse >= 2"),
        (dict(chunk_rays=0), "chunk_rays"),
    ],
)
def test_bad_arguments_raise_one_line_errors(kwargs, message):
    origins, dirs = _rays(2)
    with pytest.raises(ValueError, match=message):
        render(sphere_field, origins, dirs, None, **{**OPTS, **kwargs})
    with pytest.raises(ValueError, match=r"\(N, R, 3\)"):
        render(sphere_field, origins[0], dirs[0], None, **OPTS)
