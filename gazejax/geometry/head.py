"""Head pose: the head frame, its (pitch, yaw), and gaze expressed in it.

Head frame (ETH-XGaze's face-model frame): for a face looking straight into
the camera the head->camera rotation is the identity, i.e. head x = image
right, y = down, z = into the head, away from the camera. The face therefore
points along the head's -z, and the head pose ``(pitch, yaw)`` is the
(pitch, yaw) of that facing direction in the camera frame. This equals
ETH-XGaze/FAZE's ``[asin(z_y), atan2(z_x, z_z)]`` of the rotation's third
column, so labels from those datasets need no conversion.
"""

import jax.numpy as jnp

from gazejax.geometry.gaze import pitchyaw_to_vector, vector_to_pitchyaw


def head_pose_from_rotation(head_rotation):
    """Head->camera rotation ``(..., 3, 3)`` -> head (pitch, yaw) ``(..., 2)``."""
    return vector_to_pitchyaw(-jnp.asarray(head_rotation)[..., :, 2])


def gaze_in_head_frame(gaze, head_rotation):
    """Camera-frame gaze (pitch, yaw) ``(..., 2)`` -> head-frame (pitch, yaw).

    ``g_head = R_h^T g_cam``; a frontal head (R_h = I) leaves the gaze unchanged.
    """
    g = pitchyaw_to_vector(gaze)
    r = jnp.asarray(head_rotation)
    return vector_to_pitchyaw(jnp.einsum("...ji,...j->...i", r, g))
