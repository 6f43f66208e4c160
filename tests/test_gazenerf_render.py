"""Z-plane sampling and compositing against analytic ground truth."""

import jax
import jax.numpy as jnp
import numpy as np

from gazejax.methods.gazenerf.camera import apply_camera_delta, camera_from_eg3d_label, euler_rotation
from gazejax.geometry import camera_label
from gazejax.render import zplane

# Jitted once each: eager op-by-op dispatch is slower than one compile on a busy CPU.
composite = jax.jit(zplane.composite)
zplane_samples = jax.jit(zplane.zplane_samples, static_argnums=(2, 3, 4))


@jax.jit
def camera_rays(yaw, pitch):
    """(centres, directions) of 8x8 feature-pixel rays of EG3D-orbit cameras."""
    rot, pos, inv_k = camera_from_eg3d_label(camera_label(yaw, pitch), 8)
    return pos, zplane.pixel_directions(rot, inv_k, 8)


def oblique_rays():
    return camera_rays(jnp.array([0.0, 0.4]), jnp.array([0.0, -0.2]))


def test_principal_pixel_looks_at_the_origin():
    pos, dirs = camera_rays(jnp.array([0.3]), jnp.array([0.2]))
    # EG3D's principal point 0.5 -> feature pixel (4, 4), row-major index 4 * 8 + 4.
    np.testing.assert_allclose(dirs[0, 36], -pos[0] / jnp.linalg.norm(pos[0]), atol=1e-6)
    np.testing.assert_allclose(jnp.linalg.norm(dirs, axis=-1), 1.0, atol=1e-6)


def test_samples_lie_on_the_world_z_planes():
    pos, dirs = oblique_rays()
    points, deltas = zplane_samples(pos, dirs, 0.6, -0.6, 12)
    planes = np.linspace(0.6, -0.6, 13)
    np.testing.assert_allclose(points[..., 2], np.broadcast_to(planes[:-1], points.shape[:-1]), atol=1e-5)
    # Points are on their rays, and the deltas add up to the ray length between the outer planes.
    along = points - pos[:, None, None, :]
    np.testing.assert_allclose(jnp.cross(along, dirs[:, :, None, :]), 0.0, atol=1e-5)
    np.testing.assert_allclose(deltas.sum(-1), 1.2 / -dirs[..., 2], rtol=1e-5)


def test_jitter_stays_in_bins_and_keeps_order():
    pos, dirs = oblique_rays()
    points, deltas = zplane_samples(pos, dirs, 0.6, -0.6, 12, key=jax.random.key(0))
    z = np.asarray(points[..., 2])
    planes = np.linspace(0.6, -0.6, 13)
    mids = 0.5 * (planes[1:] + planes[:-1])
    upper = np.concatenate([[0.6], mids[:-1]])  # each sample between its neighbouring midpoints
    lower = mids
    assert np.all(z <= upper + 1e-5) and np.all(z >= lower - 1e-5)
    assert np.all(deltas > 0)
    assert not np.allclose(z, np.broadcast_to(planes[:-1], z.shape))


def test_constant_density_composites_to_beer_lambert():
    sigma, n, length = 2.0, 400, 1.5
    density = jnp.full((3, n), sigma)
    deltas = jnp.full((3, n), length / n)
    colour = jnp.broadcast_to(jnp.array([0.2, 0.5, 0.9]), (3, n, 3))
    feat, bg_alpha, weights = composite(density, colour, deltas)
    np.testing.assert_allclose(bg_alpha, np.exp(-sigma * length), rtol=1e-4)
    expected = (1 - np.exp(-sigma * length)) * np.array([0.2, 0.5, 0.9])
    np.testing.assert_allclose(feat, np.broadcast_to(expected, (3, 3)), rtol=1e-4)
    # An opaque first sample takes all the weight.
    feat, bg_alpha, weights = composite(jnp.array([1e4, 1.0, 1.0]), jnp.eye(3), jnp.ones(3))
    np.testing.assert_allclose(weights, [1.0, 0.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(bg_alpha, 0.0, atol=1e-6)


def test_camera_delta_composition():
    angles = jnp.array([0.1, -0.2, 0.3])
    e = euler_rotation(angles)
    np.testing.assert_allclose(e @ e.T, np.eye(3), atol=1e-6)
    rx = np.array([[1, 0, 0], [0, np.cos(0.1), -np.sin(0.1)], [0, np.sin(0.1), np.cos(0.1)]])
    np.testing.assert_allclose(euler_rotation(jnp.array([0.1, 0.0, 0.0])), rx, atol=1e-6)
    rot, pos = apply_camera_delta(jnp.eye(3), jnp.array([0.0, 0.0, 2.0]), angles, jnp.array([1.0, 0.0, 0.0]))
    np.testing.assert_allclose(rot, e, atol=1e-6)
    np.testing.assert_allclose(pos, e @ np.array([0.0, 0.0, 2.0]) + np.array([1.0, 0.0, 0.0]), atol=1e-6)
