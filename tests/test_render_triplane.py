"""Tri-plane projection and sampling, the OSG decoder, and EG3D rays, against plain-torch references."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

from gazejax.torch_reference import eg3d_renderer as ref
from gazejax.geometry import camera_from_label, camera_label, eg3d_rays
from gazejax.render.osg_decoder import OSGDecoder
from gazejax.render.triplane import planes_from_channels, project_onto_planes, sample_planes, sample_triplane


def test_projection_order_is_xy_xz_zx():
    p = jnp.array([[[0.1, 0.2, 0.3]]])
    np.testing.assert_allclose(project_onto_planes(p)[0, :, 0], [[0.1, 0.2], [0.1, 0.3], [0.3, 0.1]])


def test_sample_planes_matches_torch_sample_from_planes():
    torch.manual_seed(0)
    planes = torch.randn(2, 3, 4, 6, 5)  # torch layout (N, 3, C, H, W), H != W
    points = torch.rand(2, 50, 3) * 1.6 - 0.8  # box_warp 1.2: some points outside the box
    want = ref.sample_from_planes(planes, points, box_warp=1.2).numpy()
    ours = jnp.asarray(planes.numpy().transpose(0, 1, 3, 4, 2))
    got = sample_planes(ours, jnp.asarray(points.numpy()), box_warp=1.2)
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)
    np.testing.assert_allclose(sample_triplane(ours, jnp.asarray(points.numpy()), 1.2), want.mean(1), atol=1e-5)


def test_plane_by_plane_sampling_gives_the_same_features_and_gradients():
    rng = np.random.default_rng(0)
    planes = jnp.asarray(rng.standard_normal((2, 3, 6, 5, 4)), jnp.float32)
    points = jnp.asarray(rng.uniform(-0.8, 0.8, (2, 40, 3)), jnp.float32)  # box 1.2: some outside
    weights = jnp.asarray(rng.standard_normal((2, 40, 4)), jnp.float32)

    def loss(plane_by_plane):
        # planes computed inside the function, as EG3D's backbone computes them
        return lambda p, x: jnp.sum(weights * sample_triplane(jnp.tanh(p), x, 1.2, plane_by_plane))

    np.testing.assert_allclose(sample_triplane(planes, points, 1.2, plane_by_plane=True),
                               sample_triplane(planes, points, 1.2), atol=1e-6)
    got = jax.grad(loss(True), argnums=(0, 1))(planes, points)
    want = jax.grad(loss(False), argnums=(0, 1))(planes, points)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, atol=1e-5)
    with pytest.raises(ValueError, match=r"planes \(N, 3, H, W, C\)"):
        sample_triplane(jnp.zeros((1, 3, 4, 4)), jnp.zeros((1, 5, 3)), 1.0, plane_by_plane=True)


def test_bad_shapes_raise_one_line_errors():
    with pytest.raises(ValueError, match=r"planes \(N, 3, H, W, C\)"):
        sample_planes(jnp.zeros((1, 3, 4, 4)), jnp.zeros((1, 5, 3)), 1.0)
    with pytest.raises(ValueError, match=r"points \(N, M, 3\)"):
        sample_planes(jnp.zeros((2, 3, 4, 4, 2)), jnp.zeros((1, 5, 3)), 1.0)


def test_planes_from_channels_matches_torch_view():
    x = np.random.default_rng(0).normal(size=(1, 4, 4, 96)).astype(np.float32)
    want = torch.from_numpy(x.transpose(0, 3, 1, 2)).reshape(1, 3, 32, 4, 4).numpy().transpose(0, 1, 3, 4, 2)
    np.testing.assert_array_equal(planes_from_channels(jnp.asarray(x)), want)


def test_osg_decoder_matches_torch():
    torch.manual_seed(1)
    decoder = ref.OSGDecoder(n_features=32, hidden=64, out_dim=32)
    with torch.no_grad():
        for p in decoder.parameters():
            if p.ndim == 1:
                p.normal_()
    features = torch.randn(2, 3, 40, 32)
    want_rgb, want_sigma = decoder(features)
    variables = ref.to_flax(decoder.state_dict())
    module = OSGDecoder()
    shapes = jax.tree_util.tree_map(jnp.shape, module.init(jax.random.key(0), jnp.zeros((1, 1, 32))))
    assert jax.tree_util.tree_map(jnp.shape, variables) == shapes
    rgb, sigma = module.apply(variables, jnp.asarray(features.numpy()).mean(1))
    np.testing.assert_allclose(rgb, want_rgb.detach().numpy(), atol=1e-5, rtol=0)
    np.testing.assert_allclose(sigma, want_sigma.detach().numpy(), atol=1e-4, rtol=0)


def test_eg3d_rays_match_torch_ray_sampler():
    labels = camera_label(jnp.array([0.0, 0.3, -0.2]), jnp.array([0.0, -0.1, 0.25]))
    labels = labels.at[1, 17].set(0.05)  # a skewed intrinsic matrix exercises the skew terms
    cam2world, k = camera_from_label(labels)
    want_o, want_d = ref.ray_sampler(torch.tensor(np.array(cam2world)), torch.tensor(np.array(k)), 8)
    got_o, got_d = eg3d_rays(labels, 8)
    np.testing.assert_allclose(got_o, want_o.numpy(), atol=1e-5)
    np.testing.assert_allclose(got_d, want_d.numpy(), atol=1e-5)
