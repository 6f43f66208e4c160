"""The MediaPipe face-mesh topology that landmarks given to :mod:`gazejax.face` follow.

Landmarks are ``(N, 2)`` pixel coordinates (x right, y down) in the order of
MediaPipe's face mesh: 468 points, or 478 with the iris refinement (468-472
the subject's right iris, 473-477 the left). "Left" and "right" are the
**subject's**: the left eye is on the image right in an unmirrored photo.

The contours are MediaPipe's ``FACEMESH_LEFT_EYE``, ``FACEMESH_RIGHT_EYE`` and
``FACEMESH_FACE_OVAL`` edge sets chained into closed polygons.
"""

import numpy as np

MESH_POINTS = 468
MESH_POINTS_WITH_IRIS = 478

RIGHT_EYE_CONTOUR = (33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7)
LEFT_EYE_CONTOUR = (263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466)
FACE_OVAL = (10, 109, 67, 103, 54, 21, 162, 127, 234, 93, 132, 58, 172, 136, 150, 149, 176, 148, 152,
             377, 400, 378, 379, 365, 397, 288, 361, 323, 454, 356, 389, 251, 284, 332, 297, 338)
RIGHT_IRIS_CENTRE = 468
LEFT_IRIS_CENTRE = 473


def check_landmarks(landmarks):
    """``landmarks`` as float64 ``(468 or 478, 2)``; ValueError (one line) for any other shape or a non-finite value."""
    landmarks = np.asarray(landmarks, np.float64)
    if landmarks.ndim != 2 or landmarks.shape[1] != 2 or landmarks.shape[0] not in (MESH_POINTS,
                                                                                    MESH_POINTS_WITH_IRIS):
        raise ValueError(f"face landmarks must be ({MESH_POINTS} or {MESH_POINTS_WITH_IRIS}, 2) pixel "
                         f"coordinates in MediaPipe's face-mesh order, got shape {landmarks.shape}")
    if not np.isfinite(landmarks).all():
        raise ValueError("face landmarks contain NaN or inf")
    return landmarks


def eye_centres(landmarks):
    """``(2, 2)``: the subject's right then left eye centre, the iris centres when given, else the contours' means."""
    landmarks = np.asarray(landmarks)
    if len(landmarks) == MESH_POINTS_WITH_IRIS:
        return landmarks[[RIGHT_IRIS_CENTRE, LEFT_IRIS_CENTRE]]
    return np.stack([landmarks[list(RIGHT_EYE_CONTOUR)].mean(0), landmarks[list(LEFT_EYE_CONTOUR)].mean(0)])
