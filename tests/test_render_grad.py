"""The hand-written backward pass of grid_sample / tri-plane sampling.

Checked against finite differences (``jax.test_util.check_grads``) and
against autodiff through a plain gather formulation (the implementation the
custom VJP replaced), for the images/planes and the coordinates, with points
inside, outside, on the image border and on pixel centres.
"""

import jax
import jax.numpy as jnp
import numpy as np
from jax.test_util import check_grads

from gazejax.render.grid_sample import grid_sample
from gazejax.render.triplane import PLANE_AXES, sample_triplane


def _autodiff_grid_sample(images, grid):
    """Bilinear, zeros padding, align_corners=False, differentiated by JAX (four gathers)."""
    n, h, w, c = images.shape
    g = grid.reshape(n, -1, 2)
    x = ((g[..., 0] + 1) * w - 1) / 2
    y = ((g[..., 1] + 1) * h - 1) / 2
    x0, y0 = jnp.floor(x), jnp.floor(y)
    fx, fy = x - x0, y - y0
    x0, y0 = x0.astype(jnp.int32), y0.astype(jnp.int32)
    flat = images.reshape(n, h * w, c)

    def tap(xi, yi, weight):
        inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        idx = jnp.clip(yi, 0, h - 1) * w + jnp.clip(xi, 0, w - 1)
        values = jnp.take_along_axis(flat, idx[..., None], axis=1)
        return values * jnp.where(inside, weight, 0.0)[..., None]

    out = (tap(x0, y0, (1 - fx) * (1 - fy)) + tap(x0 + 1, y0, fx * (1 - fy))
           + tap(x0, y0 + 1, (1 - fx) * fy) + tap(x0 + 1, y0 + 1, fx * fy))
    return out.reshape(grid.shape[:-1] + (c,))


def _autodiff_triplane(planes, points, box_warp):
    n, _, h, w, c = planes.shape
    coords = jnp.stack([points[..., list(axes)] for axes in PLANE_AXES], axis=1) * (2.0 / box_warp)
    per_plane = _autodiff_grid_sample(planes.reshape(n * 3, h, w, c), coords.reshape(n * 3, -1, 2))
    return per_plane.reshape(n, 3, -1, c).mean(axis=1)


def _points_everywhere(rng, n, m, h, w):
    """Grid points in and around [-1, 1]^2, plus borders, corners and pixel centres."""
    grid = rng.uniform(-1.4, 1.4, (n, m, 2)).astype(np.float32)
    special = np.array([[-1.0, -1.0], [1.0, 1.0], [-1.0, 0.3], [0.2, 1.0],  # border and corners
                        [1.0 / w - 1.0, 1.0 / h - 1.0],  # the centre of pixel (0, 0)
                        [1.0 - 1.0 / w, 0.0], [-1.0 - 0.5 / w, 0.1],  # a centre; half a pixel out
                        [3.0, -3.0]], np.float32)  # far outside
    grid[:, : len(special)] = special
    return jnp.asarray(grid)


def _away_from_kinks(rng, n, m, h, w, margin=0.1):
    """Random points (some outside the image) at least ``margin`` pixels from any pixel centre line."""
    def axis(size):
        pix = rng.integers(-2, size + 1, (n, m)) + rng.uniform(margin, 1 - margin, (n, m))
        return (2 * pix + 1) / size - 1  # inverse of x_pix = ((x + 1) * W - 1) / 2

    return jnp.asarray(np.stack([axis(w), axis(h)], -1), jnp.float32)


def test_grid_sample_forward_equals_the_autodiff_formulation():
    rng = np.random.default_rng(0)
    images = jnp.asarray(rng.normal(size=(2, 5, 7, 3)), jnp.float32)
    grid = _points_everywhere(rng, 2, 40, 5, 7)
    np.testing.assert_allclose(grid_sample(images, grid), _autodiff_grid_sample(images, grid), atol=1e-6, rtol=0)


def test_grid_sample_gradients_equal_the_autodiff_formulation():
    rng = np.random.default_rng(1)
    images = jnp.asarray(rng.normal(size=(2, 5, 7, 3)), jnp.float32)
    grid = _points_everywhere(rng, 2, 40, 5, 7).reshape(2, 4, 10, 2)  # extra point axes are kept
    cotangent = jnp.asarray(rng.normal(size=(2, 4, 10, 3)), jnp.float32)

    def loss(fn):
        return lambda im, g: jnp.sum(fn(im, g) * cotangent)

    got = jax.jit(jax.grad(loss(grid_sample), argnums=(0, 1)))(images, grid)
    want = jax.grad(loss(_autodiff_grid_sample), argnums=(0, 1))(images, grid)
    np.testing.assert_allclose(got[0], want[0], atol=1e-5, rtol=0)
    np.testing.assert_allclose(got[1], want[1], atol=1e-4, rtol=0)
    assert np.any(np.asarray(got[1]) == 0) and np.any(np.asarray(got[1]) != 0)  # outside and inside points


def test_grid_sample_gradients_match_finite_differences():
    rng = np.random.default_rng(2)
    images = jnp.asarray(rng.normal(size=(1, 4, 6, 2)), jnp.float32)
    grid = _away_from_kinks(rng, 1, 30, 4, 6)
    check_grads(grid_sample, (images, grid), order=1, modes=["rev"], eps=1e-3, atol=2e-2, rtol=2e-2)


def test_triplane_gradients_equal_the_autodiff_formulation_and_finite_differences():
    rng = np.random.default_rng(3)
    planes = jnp.asarray(rng.normal(size=(2, 3, 6, 6, 4)), jnp.float32)
    points = jnp.asarray(rng.uniform(-0.7, 0.7, (2, 25, 3)), jnp.float32)  # box 1.2: some points outside
    points = points.at[:, 0].set(0.6).at[:, 1].set(-0.6)  # on the box's faces
    cotangent = jnp.asarray(rng.normal(size=(2, 25, 4)), jnp.float32)
    np.testing.assert_allclose(sample_triplane(planes, points, 1.2), _autodiff_triplane(planes, points, 1.2),
                               atol=1e-6, rtol=0)

    def loss(fn):
        return lambda p, x: jnp.sum(fn(p, x, 1.2) * cotangent)

    got = jax.grad(loss(sample_triplane), argnums=(0, 1))(planes, points)
    want = jax.grad(loss(_autodiff_triplane), argnums=(0, 1))(planes, points)
    np.testing.assert_allclose(got[0], want[0], atol=1e-5, rtol=0)
    np.testing.assert_allclose(got[1], want[1], atol=1e-4, rtol=0)

    # finite differences in the planes (linear in them: exact up to rounding)
    check_grads(lambda p: sample_triplane(p, points, 1.2), (planes,), order=1, modes=["rev"],
                eps=1e-2, atol=1e-2, rtol=1e-2)
