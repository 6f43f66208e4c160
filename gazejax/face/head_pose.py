"""Head pose of a face in a photo: a PnP fit of the rigid face model to its landmarks.

``fit_head_pose(landmarks, K)`` solves ``x ~ K (R_h X + t)`` for the head->camera
rotation ``R_h`` and translation ``t`` (millimetres) with OpenCV's EPnP, then
refines it by Levenberg-Marquardt (ETH-XGaze's demo does the same two steps).
The face centre, where the normalized camera looks, is the model's
:data:`~gazejax.face.face_model.FACE_CENTRE` carried into the camera frame.
"""

import dataclasses

import numpy as np

from gazejax.face.face_model import CANONICAL_FACE, FACE_CENTRE, PNP_INDICES
from gazejax.face.mesh import check_landmarks
from gazejax.geometry.head import head_pose_from_rotation


@dataclasses.dataclass(frozen=True)
class HeadPose:
    """A fitted head pose (numpy float64).

    rotation: ``R_h (3, 3)``, head frame -> camera frame.
    translation: ``t (3,)`` mm, the model origin in the camera frame.
    face_centre: ``(3,)`` mm, the face centre in the camera frame.
    reprojection_error: mean distance (px) between the landmarks and the fitted model.
    """

    rotation: np.ndarray
    translation: np.ndarray
    face_centre: np.ndarray
    reprojection_error: float

    @property
    def pitchyaw(self):
        """Head pose ``(pitch, yaw)`` radians in the camera frame (docs/conventions.md)."""
        return np.asarray(head_pose_from_rotation(self.rotation), np.float64)


def fit_head_pose(landmarks, camera_matrix):
    """:class:`HeadPose` of the face whose mesh landmarks ``(468|478, 2)`` px are given."""
    import cv2  # noqa: PLC0415

    image_points = check_landmarks(landmarks)[list(PNP_INDICES)]
    model_points = CANONICAL_FACE[list(PNP_INDICES)]
    k = np.asarray(camera_matrix, np.float64)
    no_distortion = np.zeros(4)
    ok, rvec, tvec = cv2.solvePnP(model_points, image_points, k, no_distortion, flags=cv2.SOLVEPNP_EPNP)
    if not ok:
        raise ValueError("the head-pose fit failed on these landmarks")
    rvec, tvec = cv2.solvePnPRefineLM(model_points, image_points, k, no_distortion, rvec, tvec)
    if tvec[2, 0] <= 0:  # EPnP's mirror solution puts the head behind the camera
        raise ValueError("the head-pose fit put the face behind the camera; the landmarks are not a face")
    rotation = cv2.Rodrigues(rvec)[0]
    projected = cv2.projectPoints(model_points, rvec, tvec, k, no_distortion)[0][:, 0]
    error = float(np.linalg.norm(projected - image_points, axis=1).mean())
    translation = tvec[:, 0]
    return HeadPose(rotation, translation, rotation @ FACE_CENTRE + translation, error)

