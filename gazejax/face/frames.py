"""The one place where a gaze the user gives in the photo's camera frame becomes a model's input.

A user means a gaze in the photo's camera frame (``--gaze``; docs/conventions.md):
(0, 0) looks along the camera's -z. Looking *into the lens* is the direction
from the face to the camera, ``-c/|c|`` for the face centre ``c``, which is
(0, 0) exactly in the normalized frame (:func:`look_at_camera_gaze`).

Models are conditioned on the gaze in the **head** frame,
``g_head = R_h^T g_cam``. The normalization rotates the camera by ``R`` and the
head with it (``R R_h``), so the head-frame gaze is the same whether it is
computed from the photo or from the crop.

LiveGaze also takes the camera it renders from, as an EG3D label: the view of
the head from the normalized camera (:func:`eg3d_view`).
"""

import numpy as np

from gazejax.geometry import pitchyaw_to_vector, vector_to_pitchyaw
from gazejax.geometry.head import gaze_in_head_frame

# EG3D's world from the head frame: x stays, y up instead of down, z out of the face instead of into it
HEAD_TO_EG3D_WORLD = np.diag([1.0, -1.0, -1.0])


def look_at_camera_gaze(face_centre):
    """Camera-frame gaze ``(2,)`` of a face at ``face_centre (3,)`` looking into the lens."""
    return np.asarray(vector_to_pitchyaw(-np.asarray(face_centre, np.float32)), np.float64)


def model_gaze(gaze_camera, head_rotation):
    """Camera-frame gaze ``(..., 2)`` -> the head-frame gaze a model is conditioned on."""
    return np.asarray(gaze_in_head_frame(np.asarray(gaze_camera, np.float32),
                                         np.asarray(head_rotation, np.float32)), np.float64)


def camera_gaze(gaze_head, head_rotation):
    """Gaze ``(..., 2)`` rotated by ``head_rotation`` (``R g``): a head-frame gaze -> the camera frame.

    Any rotation works the same way (a normalization rotation and its transpose, for instance).
    """
    g = np.asarray(pitchyaw_to_vector(np.asarray(gaze_head, np.float32)), np.float64)
    return np.asarray(vector_to_pitchyaw(g @ np.asarray(head_rotation, np.float64).T), np.float64)


def eg3d_view(normalized_head_rotation):
    """``(yaw, pitch)`` of the normalized camera on EG3D's orbit around the head.

    The normalized camera looks along its +z at the face, so the direction from
    the head to it is ``-(R R_h)^T e_z`` in the head frame; in EG3D's world
    ``origin = r (cos p sin y, sin p, cos p cos y)``.
    """
    towards_camera = HEAD_TO_EG3D_WORLD @ -np.asarray(normalized_head_rotation, np.float64)[2]
    x, y, z = towards_camera / np.linalg.norm(towards_camera)
    return float(np.arctan2(x, z)), float(np.arcsin(np.clip(y, -1.0, 1.0)))


def faces_model_gaze(faces, gaze=None, look_at_camera=False):
    """``(F, 2)`` head-frame gaze of each :class:`~gazejax.face.pipeline.PreparedFace`.

    The target is the camera-frame ``gaze (2,)`` for every face, or with
    ``look_at_camera`` each face's own look into the lens.
    """
    if gaze is None and not look_at_camera:
        raise ValueError("give a gaze (pitch, yaw) in the camera frame, or look_at_camera=True")
    targets = [look_at_camera_gaze(f.pose.face_centre) if look_at_camera else np.asarray(gaze, np.float64)
               for f in faces]
    return np.array([model_gaze(t, f.pose.rotation) for t, f in zip(targets, faces)], np.float32).reshape(-1, 2)
