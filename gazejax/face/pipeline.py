"""Every face of a frame, ready for a method: landmarks -> head pose -> normalized crop.

    faces = prepare_faces(frame, K, NormalizationSpec.for_size(512))
    for f in faces: f.landmarks, f.pose, f.crop

Landmarks come from :func:`~gazejax.face.detection.detect_faces` unless the
caller gives them (another detector, a tracker smoothing them over video
frames). The faces are in the order of the landmarks (the detector's:
largest first).
"""

import dataclasses

import numpy as np

from gazejax.face.detection import detect_faces
from gazejax.face.head_pose import HeadPose, fit_head_pose
from gazejax.face.normalized import NormalizedFace, normalize


@dataclasses.dataclass(frozen=True)
class PreparedFace:
    """One face of a frame: its ``landmarks (N, 2)`` px, fitted ``pose`` and normalized ``crop``."""

    landmarks: np.ndarray
    pose: HeadPose
    crop: NormalizedFace


def prepare_faces(frame, camera_matrix, spec, landmarks=None):
    """:class:`PreparedFace` of each face of ``frame (H, W, 3)`` float in [0, 1] (``[]`` when there is none).

    Raises:
      FaceError: a face too small for ``spec`` (the message says which), or no
        usable detector while ``landmarks`` is None.
    """
    found = detect_faces(frame) if landmarks is None else list(landmarks)
    faces = []
    for points in found:
        pose = fit_head_pose(points, camera_matrix)
        faces.append(PreparedFace(np.asarray(points, np.float64), pose,
                                  normalize(frame, points, pose, camera_matrix, spec)))
    return faces
