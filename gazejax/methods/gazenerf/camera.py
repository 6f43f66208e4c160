"""GazeNeRF cameras: (cam2world rotation, camera centre, inverse intrinsics).

The reference renders with the 3DMM fit's ``c2w_Rmat``/``c2w_Tvec`` and the
intrinsics scaled from the 512^2 image to the feature map (its h5 files
have f = 1039.36, c = 256 at 512^2: f ~ 129.9, c = 32 at 64^2). Per-image
camera deltas compose as ``R = E(d_euler) R_base``,
``T = E(d_euler) T_base + d_t`` with ``E = Rz Ry Rx``, as in the
reference's trainer.
"""

import jax.numpy as jnp

from gazejax.geometry import camera_from_label, rotation_x, rotation_y, rotation_z


def euler_rotation(angles):
    """``(..., 3)`` Euler angles (x, y, z) radians -> ``Rz @ Ry @ Rx`` ``(..., 3, 3)``."""
    return rotation_z(angles[..., 2]) @ rotation_y(angles[..., 1]) @ rotation_x(angles[..., 0])


def apply_camera_delta(rotation, position, delta_euler, delta_t):
    """Composes a learnable delta onto a camera.

    Args:
      rotation: ``(..., 3, 3)`` cam2world; position: ``(..., 3)`` camera centre.
      delta_euler: ``(..., 3)``; delta_t: ``(..., 3)``.

    Returns:
      (``E @ rotation``, ``E @ position + delta_t``).
    """
    e = euler_rotation(delta_euler)
    return e @ rotation, jnp.einsum("...ij,...j->...i", e, position) + delta_t


def inverse_intrinsics(focal, center):
    """Pinhole inverse intrinsics ``(..., 3, 3)`` from focal ``(..., 2)`` and centre ``(..., 2)``."""
    fx, fy, cx, cy = focal[..., 0], focal[..., 1], center[..., 0], center[..., 1]
    z, o = jnp.zeros_like(fx), jnp.ones_like(fx)
    return jnp.stack([
        jnp.stack([1 / fx, z, -cx / fx], -1),
        jnp.stack([z, 1 / fy, -cy / fy], -1),
        jnp.stack([z, z, o], -1),
    ], -2)


def camera_from_eg3d_label(label, featmap_size):
    """EG3D label ``(..., 25)`` -> (rotation ``(..., 3, 3)``, centre ``(..., 3)``, inv K ``(..., 3, 3)``).

    The label's intrinsics are normalised by the image size, so scaling by
    the feature-map size gives them in feature-map pixels (GazeNeRF then
    casts rays at integer pixel coordinates).
    """
    cam2world, k = camera_from_label(label)
    focal = jnp.stack([k[..., 0, 0], k[..., 1, 1]], -1) * featmap_size
    center = jnp.stack([k[..., 0, 2], k[..., 1, 2]], -1) * featmap_size
    return cam2world[..., :3, :3], cam2world[..., :3, 3], inverse_intrinsics(focal, center)


def camera_from_h5(c2w_rotation, c2w_translation, intrinsics, image_size, featmap_size):
    """Reference h5 camera (``c2w_Rmat``, ``c2w_Tvec``, ``inmat`` at ``image_size``) -> same triple.

    As the reference's ``prepare_data``: the first two rows of ``inmat`` are
    scaled by ``featmap_size / image_size`` (skew ignored).
    """
    scale = featmap_size / image_size
    focal = jnp.stack([intrinsics[..., 0, 0], intrinsics[..., 1, 1]], -1) * scale
    center = jnp.stack([intrinsics[..., 0, 2], intrinsics[..., 1, 2]], -1) * scale
    return jnp.asarray(c2w_rotation), jnp.asarray(c2w_translation), inverse_intrinsics(focal, center)
