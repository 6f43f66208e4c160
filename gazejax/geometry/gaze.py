"""Gaze angles <-> unit vectors, angular error, and elementary rotations.

All functions are jit/vmap-friendly and broadcast over leading dimensions.
"""

import jax.numpy as jnp


def pitchyaw_to_vector(pitchyaw):
    """(pitch, yaw) radians ``(..., 2)`` -> unit gaze direction ``g`` ``(..., 3)``.

    ``g`` points from the eye toward the target (OpenCV camera frame):
    ``g = (-cos p sin y, -sin p, -cos p cos y)``, so (0, 0) -> (0, 0, -1),
    straight into the camera. Note ETH-XGaze's own helper of this name returns
    ``-g``; ours returns the direction itself (docs/conventions.md).
    """
    pitchyaw = jnp.asarray(pitchyaw)
    p, y = pitchyaw[..., 0], pitchyaw[..., 1]
    cp = jnp.cos(p)
    return jnp.stack([-cp * jnp.sin(y), -jnp.sin(p), -cp * jnp.cos(y)], axis=-1)


def vector_to_pitchyaw(vector):
    """Direction ``(..., 3)`` (any length) -> (pitch, yaw) radians ``(..., 2)``.

    ``pitch = asin(-g_y)``, ``yaw = atan2(-g_x, -g_z)`` for the normalised g.
    """
    v = jnp.asarray(vector)
    g = v / jnp.linalg.norm(v, axis=-1, keepdims=True)
    pitch = jnp.arcsin(jnp.clip(-g[..., 1], -1.0, 1.0))
    yaw = jnp.arctan2(-g[..., 0], -g[..., 2])
    return jnp.stack([pitch, yaw], axis=-1)


def angular_error(a, b):
    """Angle in degrees between two (pitch, yaw) arrays ``(..., 2)``.

    Computed as ``atan2(|u x v|, u . v)``, which stays accurate for tiny angles
    where ``arccos`` does not. At exactly zero angle the norm's gradient is
    undefined; the double ``where`` makes it 0 there instead of NaN, so the
    error is safe to use as a loss.
    """
    u, v = pitchyaw_to_vector(a), pitchyaw_to_vector(b)
    cross_sq = jnp.sum(jnp.cross(u, v) ** 2, axis=-1)
    nonzero = cross_sq > 0
    cross = jnp.where(nonzero, jnp.sqrt(jnp.where(nonzero, cross_sq, 1.0)), 0.0)
    dot = jnp.sum(u * v, axis=-1)
    return jnp.degrees(jnp.arctan2(cross, dot))


def rotation_x(angle):
    """Right-handed rotation about x by ``angle`` radians ``(...,)`` -> ``(..., 3, 3)``."""
    c, s = jnp.cos(angle), jnp.sin(angle)
    o, z = jnp.ones_like(c), jnp.zeros_like(c)
    return jnp.stack(
        [jnp.stack([o, z, z], -1), jnp.stack([z, c, -s], -1), jnp.stack([z, s, c], -1)], -2
    )


def rotation_y(angle):
    """Right-handed rotation about y by ``angle`` radians ``(...,)`` -> ``(..., 3, 3)``."""
    c, s = jnp.cos(angle), jnp.sin(angle)
    o, z = jnp.ones_like(c), jnp.zeros_like(c)
    return jnp.stack(
        [jnp.stack([c, z, s], -1), jnp.stack([z, o, z], -1), jnp.stack([-s, z, c], -1)], -2
    )


def rotation_z(angle):
    """Right-handed rotation about z by ``angle`` radians ``(...,)`` -> ``(..., 3, 3)``."""
    c, s = jnp.cos(angle), jnp.sin(angle)
    o, z = jnp.ones_like(c), jnp.zeros_like(c)
    return jnp.stack(
        [jnp.stack([c, -s, z], -1), jnp.stack([s, c, z], -1), jnp.stack([z, z, o], -1)], -2
    )


def gaze_rotation(pitch, yaw):
    """The eye-feature rotation ``R = Ry(yaw) @ Rx(pitch)`` ``(..., 3, 3)``.

    GazeNeRF (reference ``rotate``/``rotation_matrix_2d``) rotates each
    3-vector of eye features as a ROW vector, ``v' = v @ R``, which equals
    ``R.T @ v`` for column vectors. ST-ED uses the same matrix for its 2-D
    latent units. GazeNeRF feeds its own (pitch-flipped) angles: convert with
    :func:`gazejax.geometry.to_gazenerf` first when matching its weights.
    """
    return rotation_y(jnp.asarray(yaw)) @ rotation_x(jnp.asarray(pitch))
