"""A face of a photo turned into a method's input: the ETH-XGaze normalized crop, its masks and labels.

``normalize(image, landmarks, pose, K, spec)`` builds the normalization of
:func:`gazejax.geometry.normalize_face` for the fitted head pose and warps the
photo with it (OpenCV, bicubic: bilinear there and back blurs a face that is
pasted back unchanged to ~37 dB, bicubic keeps ~48 dB). The face and eye
masks are the landmark contours (:mod:`gazejax.face.mesh`) carried into the
crop and filled.

A :class:`NormalizationSpec` is the normalized camera: the crop side, its
focal length and its distance to the face centre. :meth:`NormalizationSpec.for_size`
frames the whole head as GazeNeRF's preprocessing does (f = 1600 px,
d = 680 mm at 512 px; the focal scales with the side), which is also how
SynthGaze renders are framed; :meth:`NormalizationSpec.face_only` is
ETH-XGaze's tighter framing for gaze estimators (f = 960 px, d = 600 mm at
224 px).
"""

import dataclasses

import numpy as np

from gazejax.face.errors import FaceError
from gazejax.face.frames import camera_gaze
from gazejax.face.mesh import FACE_OVAL, LEFT_EYE_CONTOUR, RIGHT_EYE_CONTOUR, check_landmarks, eye_centres
from gazejax.geometry import normalize_face
from gazejax.geometry.head import head_pose_from_rotation

# GazeNeRF's normalized camera (pre_processing/data_process.py): f = 1600 px at 512 px, 680 mm away
WHOLE_HEAD_FOCAL_PER_PIXEL = 1600.0 / 512.0
WHOLE_HEAD_DISTANCE_MM = 680.0
# ETH-XGaze's normalized camera (its demo and released estimators): f = 960 px at 224 px, 600 mm away
FACE_ONLY_FOCAL_PER_PIXEL = 960.0 / 224.0
FACE_ONLY_DISTANCE_MM = 600.0
# the crop may magnify the photo's face at most this much before it is only blur
MAX_UPSCALE = 4.0


@dataclasses.dataclass(frozen=True)
class NormalizationSpec:
    """The normalized camera: crop side ``size`` px, ``focal`` px, ``distance`` mm to the face centre."""

    size: int
    focal: float
    distance: float

    @classmethod
    def for_size(cls, size):
        """GazeNeRF's whole-head framing at a crop side of ``size`` px."""
        return cls(int(size), WHOLE_HEAD_FOCAL_PER_PIXEL * size, WHOLE_HEAD_DISTANCE_MM)

    @classmethod
    def face_only(cls, size):
        """ETH-XGaze's framing (the face fills the crop), what gaze estimators take, at ``size`` px."""
        return cls(int(size), FACE_ONLY_FOCAL_PER_PIXEL * size, FACE_ONLY_DISTANCE_MM)


@dataclasses.dataclass(frozen=True)
class NormalizedFace:
    """One face of a photo as a method's input (numpy).

    image: ``(S, S, 3)`` float32 in [0, 1], the normalized crop.
    face_mask, left_eye_mask, right_eye_mask: ``(S, S)`` float32 in {0, 1}
      (the subject's left and right eyes).
    landmarks: ``(N, 2)`` the landmarks in crop pixels.
    warp: ``W (3, 3)``, photo pixels -> crop pixels.
    rotation: ``R (3, 3)``, camera frame -> normalized camera frame.
    head_rotation: ``R R_h (3, 3)``, head frame -> normalized camera frame.
    """

    image: np.ndarray
    face_mask: np.ndarray
    left_eye_mask: np.ndarray
    right_eye_mask: np.ndarray
    landmarks: np.ndarray
    warp: np.ndarray
    rotation: np.ndarray
    head_rotation: np.ndarray

    @property
    def head_pose(self):
        """Head ``(pitch, yaw)`` in the normalized frame (the label a dataset record would carry)."""
        return np.asarray(head_pose_from_rotation(self.head_rotation), np.float64)

    def gaze_to_normalized(self, gaze):
        """Camera-frame gaze ``(..., 2)`` -> normalized-frame gaze (rotated by ``R``)."""
        return camera_gaze(gaze, self.rotation)

    def gaze_to_camera(self, gaze):
        """Normalized-frame gaze ``(..., 2)`` -> camera-frame gaze (rotated by ``R^T``)."""
        return camera_gaze(gaze, self.rotation.T)


def normalize(image, landmarks, pose, camera_matrix, spec):
    """:class:`NormalizedFace` of the face with mesh ``landmarks`` and fitted ``pose`` in ``image``.

    Args:
      image: the photo, ``(H, W, 3)`` float32 in [0, 1].
      landmarks: ``(468|478, 2)`` pixel landmarks of the face.
      pose: its :class:`~gazejax.face.head_pose.HeadPose`.
      camera_matrix: the photo's ``K (3, 3)``.
      spec: the :class:`NormalizationSpec` of the method.

    Raises:
      FaceError: the face is so small that the crop would magnify it more than
        :data:`MAX_UPSCALE` times.
    """
    import cv2  # noqa: PLC0415

    landmarks = check_landmarks(landmarks)
    norm = normalize_face(camera_matrix, pose.rotation, pose.face_centre, spec.focal, spec.distance, spec.size)
    warp = np.asarray(norm.warp, np.float64)
    crop_landmarks = cv2.perspectiveTransform(landmarks[None], warp)[0]
    photo_eyes, crop_eyes = eye_centres(landmarks), eye_centres(crop_landmarks)
    photo_distance = np.linalg.norm(photo_eyes[0] - photo_eyes[1])
    crop_distance = np.linalg.norm(crop_eyes[0] - crop_eyes[1])
    if crop_distance > MAX_UPSCALE * photo_distance:
        raise FaceError(f"face too small: its eyes are {photo_distance:.0f} px apart; a {spec.size} px crop "
                        f"needs at least {crop_distance / MAX_UPSCALE:.0f} px")
    size = (spec.size, spec.size)
    crop = cv2.warpPerspective(np.asarray(image, np.float32), warp, size, flags=cv2.INTER_CUBIC,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=0)

    def filled(contour):
        mask = np.zeros(size, np.uint8)
        cv2.fillPoly(mask, [np.round(crop_landmarks[list(contour)]).astype(np.int32)], 1)
        return mask.astype(np.float32)

    rotation = np.asarray(norm.rotation, np.float64)
    return NormalizedFace(
        image=np.clip(crop, 0.0, 1.0), face_mask=filled(FACE_OVAL), left_eye_mask=filled(LEFT_EYE_CONTOUR),
        right_eye_mask=filled(RIGHT_EYE_CONTOUR), landmarks=crop_landmarks, warp=warp, rotation=rotation,
        head_rotation=rotation @ pose.rotation)
