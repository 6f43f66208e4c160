"""Tri-plane feature lookup (EG3D §3.1, ``renderer.sample_from_planes``).

A point ``p`` is scaled by ``2 / box_warp`` (so a cube of side ``box_warp``
maps onto [-1, 1]^3), projected onto three axis-aligned planes and sampled
bilinearly on each. EG3D's planes are **XY, XZ and ZX** (not YZ: the
released weights depend on this order, eg3d issue #67), i.e. the 2-D
coordinates (grid x, grid y) on plane 0, 1, 2 are (x, y), (x, z), (z, x).

Tri-planes are ``(N, 3, H, W, C)``. EG3D's backbone output ``(N, 96, H, W)``
is ``view(N, 3, 32, H, W)`` in torch; in NHWC, a backbone output
``(N, H, W, 96)`` becomes ``reshape(N, H, W, 3, 32).transpose(0, 3, 1, 2, 4)``
(see :func:`planes_from_channels`).
"""

import jax
import jax.numpy as jnp

from gazejax.render.grid_sample import grid_sample

# For each plane, which world axes give grid (x, y): XY, XZ, ZX.
PLANE_AXES = ((0, 1), (0, 2), (2, 0))


def planes_from_channels(x, n_planes=3):
    """Backbone output ``(N, H, W, n_planes*C)`` -> tri-plane ``(N, n_planes, H, W, C)``."""
    n, h, w, c = x.shape
    return x.reshape(n, h, w, n_planes, c // n_planes).transpose(0, 3, 1, 2, 4)


def project_onto_planes(points):
    """``(N, M, 3)`` points -> ``(N, 3, M, 2)`` plane coordinates (XY, XZ, ZX)."""
    return jnp.stack([points[..., list(axes)] for axes in PLANE_AXES], axis=1)


def sample_planes(planes, points, box_warp):
    """Per-plane features at ``points``.

    Args:
      planes: ``(N, 3, H, W, C)``.
      points: ``(N, M, 3)`` world coordinates.
      box_warp: side of the cube mapped onto the planes (EG3D FFHQ: 1).

    Returns:
      ``(N, 3, M, C)`` features; zero outside the box.
    """
    _check_shapes(planes, points)
    n, n_planes, h, w, c = planes.shape
    coords = project_onto_planes(points * (2.0 / box_warp))
    out = grid_sample(planes.reshape(n * n_planes, h, w, c), coords.reshape(n * n_planes, -1, 2))
    return out.reshape(n, n_planes, -1, c)


def sample_triplane(planes, points, box_warp, plane_by_plane=False):
    """Mean over the three planes of :func:`sample_planes`: ``(N, M, C)``.

    ``plane_by_plane`` samples the planes one after another in a loop. In a
    single gather, XLA:CPU fuses the planes' producer into it and recomputes
    it for every tap it reads; EG3D's planes end in a 16-tap FIR filter, and
    that made its generator's forward pass twice as slow. The loop reads the
    planes as an input, which XLA materialises once. For planes that are
    already in memory (arguments of the jitted function) the loop only adds
    its overhead, a few ms.
    """
    if not plane_by_plane:
        per_plane = sample_planes(planes, points, box_warp)
        # An explicit sum: XLA:CPU's reduce over this middle axis is ~15x slower.
        return sum(per_plane[:, i] for i in range(per_plane.shape[1])) / per_plane.shape[1]
    _check_shapes(planes, points)
    n, _, _, _, c = planes.shape
    coords = project_onto_planes(points * (2.0 / box_warp))

    def add_plane(total, plane_and_coords):
        plane, plane_coords = plane_and_coords
        return total + grid_sample(plane, plane_coords), None

    # the dtype of a sample: bilinear weights promote bfloat16 planes
    total = jnp.zeros((n, points.shape[1], c), jnp.result_type(planes.dtype, coords.dtype))
    total, _ = jax.lax.scan(add_plane, total, (jnp.swapaxes(planes, 0, 1), jnp.swapaxes(coords, 0, 1)))
    return total / planes.shape[1]


def _check_shapes(planes, points):
    if planes.ndim != 5 or points.ndim != 3 or points.shape[-1] != 3 or points.shape[0] != planes.shape[0]:
        raise ValueError(
            "tri-plane sampling needs planes (N, 3, H, W, C) and points (N, M, 3), "
            f"got {planes.shape} and {points.shape}"
        )
