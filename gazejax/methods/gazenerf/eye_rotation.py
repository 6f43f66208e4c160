"""Eye-feature rotation and the face/eye merge (GazeNeRF paper Sec. 3.2,
"3D awareness" and "Merging features": ``F_e-rot = R F_e``, ``F_wf = max(F_fw/o, F_e-rot)``).

The reference (``rotate``/``rotation_matrix_2d``) reshapes the 258 channels
into 86 groups of 3 (channel ``3i + j``) and right-multiplies each group,
as a ROW vector, by ``R = Ry(yaw) Rx(pitch)`` built from GazeNeRF's own
(pitch-flipped) gaze labels (:func:`gazejax.geometry.gaze_rotation`).
"""

import jax.numpy as jnp

from gazejax.geometry import gaze_rotation


def rotate_features(features, gaze, inverse=False):
    """Rotates every 3-channel group of a feature map by the gaze rotation.

    Args:
      features: ``(B, H, W, C)`` with C divisible by 3.
      gaze: ``(B, 2)`` (pitch, yaw) radians in GazeNeRF's label convention.
      inverse: rotate by ``R^T`` instead (undoes the forward rotation).

    Returns:
      ``(B, H, W, C)``: group ``v`` becomes ``v @ R`` (``v @ R^T`` if inverse).
    """
    b, h, w, c = features.shape
    rotation = gaze_rotation(gaze[:, 0], gaze[:, 1])  # (B, 3, 3)
    if inverse:
        rotation = jnp.swapaxes(rotation, -1, -2)
    groups = features.reshape(b, h, w, c // 3, 3)
    return jnp.einsum("bhwgi,bij->bhwgj", groups, rotation).reshape(b, h, w, c)


def merge_features(face, eyes):
    """Whole-face feature map: the element-wise maximum of the two streams."""
    return jnp.maximum(face, eyes)
