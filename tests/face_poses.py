"""Faces with known head poses: MediaPipe's canonical face model projected by a pinhole camera."""

import numpy as np

from gazejax.face.face_model import CANONICAL_FACE
from gazejax.geometry import rotation_x, rotation_y


def head_rotation(pitch, yaw):
    """Head->camera rotation of a head whose face is turned to (pitch, yaw) (docs/conventions.md signs)."""
    return np.asarray(rotation_y(np.float32(yaw)) @ rotation_x(np.float32(-pitch)), np.float64)


def facing_camera(position):
    """Head->camera rotation of a head at ``position (3,)`` mm whose face looks into the lens (no roll)."""
    back = np.asarray(position, np.float64) / np.linalg.norm(position)  # head z: from camera into the head
    right = np.cross([0.0, 1.0, 0.0], back)
    right /= np.linalg.norm(right)
    return np.stack([right, np.cross(back, right), back], axis=1)


def project(rotation, translation, camera_matrix, points=CANONICAL_FACE):
    """Pixels ``(N, 2)`` of head-frame ``points`` seen under the pose ``(rotation, translation)``."""
    camera = np.asarray(points) @ np.asarray(rotation).T + np.asarray(translation)
    pixels = camera @ np.asarray(camera_matrix).T
    return pixels[:, :2] / pixels[:, 2:]
