"""MipRayMarcher2 compositing against the plain-torch reference on fixed samples."""

import jax
import jax.numpy as jnp
import numpy as np
import torch

from gazejax.torch_reference import eg3d_renderer as ref
from gazejax.render.ray_marcher import composite
from gazejax.render.ray_sampling import depth_ranks


def _random_samples(seed, n=2, r=7, s=20, c=5):
    rng = np.random.default_rng(seed)
    colors = rng.random((n, r, s, c)).astype(np.float32)
    densities = (rng.normal(size=(n, r, s, 1)) * 5).astype(np.float32)
    depths = np.sort(rng.uniform(2.25, 3.3, (n, r, s)), axis=-1).astype(np.float32)
    return colors, densities, depths


def test_composite_matches_torch_mip_ray_marcher2():
    colors, densities, depths = _random_samples(0)
    for white in (False, True):
        want_rgb, want_depth, want_w = ref.mip_ray_marcher2(
            torch.from_numpy(colors), torch.from_numpy(densities), torch.from_numpy(depths)[..., None], white)
        out = composite(jnp.asarray(colors), jnp.asarray(densities), jnp.asarray(depths), white)
        np.testing.assert_allclose(out["rgb"] * 2 - 1, want_rgb.numpy(), atol=1e-5, rtol=0)
        np.testing.assert_allclose(out["depth"], want_depth.numpy(), atol=1e-5, rtol=0)
        np.testing.assert_allclose(out["weights"], want_w[..., 0].numpy(), atol=1e-6, rtol=0)
        np.testing.assert_allclose(out["opacity"][..., 0], want_w[..., 0].sum(-1).numpy(), atol=1e-5)


def test_empty_ray_depth_is_its_far_end_and_gradients_stay_finite():
    depths = jnp.linspace(2.0, 3.0, 8)[None, None]
    densities = jnp.full((1, 1, 8, 1), -1e4)  # softplus underflows to exactly 0
    colors = jnp.ones((1, 1, 8, 3))
    out = composite(colors, densities, depths)
    assert float(out["opacity"][0, 0, 0]) == 0.0
    np.testing.assert_allclose(out["depth"][0, 0], [3.0])
    grad = jax.grad(lambda s: composite(colors, s, depths)["depth"].sum())(densities)
    assert np.all(np.isfinite(grad))


def test_samples_in_any_order_with_their_ranks_composite_as_sorted():
    colors, densities, depths = _random_samples(1)
    depths[0, 0, 3] = depths[0, 0, 4]  # a tie: the earlier sample comes first, as a stable sort
    perm = np.random.default_rng(2).permutation(depths.shape[-1])
    shuffled = [jnp.asarray(a[:, :, perm]) for a in (colors, densities, depths)]
    rank = depth_ranks(shuffled[2])
    np.testing.assert_array_equal(np.argsort(np.argsort(shuffled[2], -1, kind="stable"), -1), rank)

    def outputs(c, s, d, rank=None):
        out = composite(c, s, d, rank=rank)
        return out["rgb"].sum() + out["depth"].sum() + out["opacity"].sum()

    want, want_grads = jax.value_and_grad(outputs, (0, 1))(*map(jnp.asarray, (colors, densities, depths)))
    got, got_grads = jax.value_and_grad(outputs, (0, 1))(*shuffled, rank)
    np.testing.assert_allclose(got, want, rtol=1e-6)
    for g, w in zip(got_grads, want_grads):  # the gradients land on the shuffled samples
        np.testing.assert_allclose(g, np.asarray(w)[:, :, perm], atol=1e-6)
