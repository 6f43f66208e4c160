"""Landmarks of a face with a known head pose: MediaPipe's canonical face projected by a pinhole camera.

    rotation = head_rotation(pitch=0.05, yaw=0.1)
    landmarks = project(rotation, (0, 0, 600), face.camera_matrix(1280, 720))   # (468, 2) px

What the tests pose in photos and videos whose true pose they check against,
and what ``gazejax bench pipeline`` times the stages after detection on when
no detector is installed.
"""

import numpy as np

from gazejax.face.face_model import CANONICAL_FACE
from gazejax.geometry import rotation_x, rotation_y


def head_rotation(pitch, yaw):
    """Head->camera rotation ``(3, 3)`` of a head whose face is turned to (pitch, yaw) (docs/conventions.md signs)."""
    return np.asarray(rotation_y(np.float32(yaw)) @ rotation_x(np.float32(-pitch)), np.float64)


def facing_camera(position):
    """Head->camera rotation ``(3, 3)`` of a head at ``position (3,)`` mm whose face looks into the lens (no roll)."""
    back = np.asarray(position, np.float64) / np.linalg.norm(position)  # head z: from camera into the head
    right = np.cross([0.0, 1.0, 0.0], back)
    right /= np.linalg.norm(right)
    return np.stack([right, np.cross(back, right), back], axis=1)


def project(rotation, translation, camera_matrix, points=CANONICAL_FACE):
    """Pixels ``(N, 2)`` of head-frame ``points (N, 3)`` mm seen under the pose ``(rotation, translation)``."""
    camera = np.asarray(points) @ np.asarray(rotation).T + np.asarray(translation)
    pixels = camera @ np.asarray(camera_matrix).T
    return pixels[:, :2] / pixels[:, 2:]
