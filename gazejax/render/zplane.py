"""GazeNeRF/HeadNeRF ray sampling between two world-z planes, and compositing.

GazeNeRF (paper Sec. 3.2; its reference code's ``utils/model_utils.py``)
casts one ray per feature-map pixel at INTEGER pixel coordinates
(no +0.5) and samples it where it crosses evenly spaced planes of constant
world z, from ``z_near`` (the plane nearest the camera) to ``z_far``. Each
sample sits on its bin's left edge; in train mode every edge is jittered
within its bin. Compositing is the NeRF quadrature with GazeNeRF's exact
numerics: ``alpha = 1 - exp(-sigma * delta)``, transmittance = exclusive
cumprod of ``1 - alpha + 1e-10``, ``bg_alpha = 1 - sum(w)``.

These are plain ``jnp`` functions (no parameters), vectorised over any
leading batch dimensions.
"""

import jax
import jax.numpy as jnp

_TRANSMITTANCE_EPS = 1e-10  # the reference's guard inside the cumprod


def pixel_directions(cam_rotation, inv_intrinsics, size):
    """Unit world-space directions of the rays through integer pixels.

    Pixel ``k = row * size + col`` is the point ``(col, row, 1)`` lifted by
    ``inv_intrinsics`` and rotated by ``cam_rotation`` (cam2world, OpenCV axes).

    Args:
      cam_rotation: ``(..., 3, 3)`` cam2world rotation.
      inv_intrinsics: ``(..., 3, 3)`` inverse intrinsics in feature-map pixels.
      size: feature-map side length (rays per side).

    Returns:
      ``(..., size*size, 3)`` unit directions.
    """
    coords = jnp.arange(size, dtype=jnp.float32)
    rows, cols = jnp.meshgrid(coords, coords, indexing="ij")
    pixels = jnp.stack([cols.ravel(), rows.ravel(), jnp.ones(size * size)], axis=-1)
    dirs = jnp.einsum("...ij,...jk,nk->...ni", cam_rotation, inv_intrinsics, pixels)
    return dirs / jnp.linalg.norm(dirs, axis=-1, keepdims=True)


def zplane_samples(origins, directions, z_near, z_far, num_samples, key=None):
    """Sample points where rays cross ``num_samples`` world-z planes.

    The bin edges are ``num_samples + 1`` planes evenly spaced from ``z_near``
    to ``z_far``; the samples are the first ``num_samples`` edges and
    ``delta`` is the ray length between consecutive edges. With ``key`` each
    edge is moved uniformly within [previous midpoint, next midpoint] (the
    first and last edge only inward), as the reference's train mode.
    Rays must cross the planes (``directions[..., 2]`` has the sign of
    ``z_far - z_near``).

    Args:
      origins: ``(..., 3)`` ray origins (camera centres), broadcastable to
        ``directions[..., 0, :]`` -- one origin per ray batch.
      directions: ``(..., N, 3)`` unit directions.
      z_near, z_far: world z of the first and last plane.
      num_samples: samples per ray S.
      key: ``jax.random`` key for the jitter, or None for test mode.

    Returns:
      points ``(..., N, S, 3)`` and deltas ``(..., N, S)``.
    """
    origin_z = origins[..., None, 2:3]  # (..., 1, 1)
    t = jnp.linspace(0.0, 1.0, num_samples + 1)
    # Depth along world -z measured from the camera, as the reference's "zvals".
    edges = (origin_z - z_near) * (1.0 - t) + (origin_z - z_far) * t  # (..., 1, S+1)
    edges = jnp.broadcast_to(edges, directions.shape[:-1] + (num_samples + 1,))
    if key is not None:
        mids = 0.5 * (edges[..., 1:] + edges[..., :-1])
        upper = jnp.concatenate([mids, edges[..., -1:]], axis=-1)
        lower = jnp.concatenate([edges[..., :1], mids], axis=-1)
        edges = lower + (upper - lower) * jax.random.uniform(key, edges.shape)
    # Ray length per unit of world-z travel.
    length_per_z = -1.0 / directions[..., 2:3]  # (..., N, 1)
    deltas = (edges[..., 1:] - edges[..., :-1]) * length_per_z
    distances = edges[..., :-1] * length_per_z  # (..., N, S)
    points = origins[..., None, None, :] + directions[..., :, None, :] * distances[..., None]
    return points, deltas


def composite(density, features, deltas):
    """Alpha-composites per-sample features along each ray.

    Args:
      density: ``(..., S)`` non-negative sigma.
      features: ``(..., S, C)``.
      deltas: ``(..., S)`` ray lengths of the bins.

    Returns:
      (features ``(..., C)``, bg_alpha ``(...)`` = 1 - sum of weights,
      weights ``(..., S)``).
    """
    alpha = 1.0 - jnp.exp(-density * deltas)
    survive = jnp.cumprod(1.0 - alpha + _TRANSMITTANCE_EPS, axis=-1)
    transmittance = jnp.concatenate([jnp.ones_like(survive[..., :1]), survive[..., :-1]], axis=-1)
    weights = alpha * transmittance
    return jnp.einsum("...s,...sc->...c", weights, features), 1.0 - weights.sum(-1), weights
