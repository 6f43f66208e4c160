"""Every face of a frame, ready for a method: landmarks -> head pose -> normalized crop, and back.

    faces = prepare_faces(frame, K, NormalizationSpec.for_size(512))
    for f in faces: f.landmarks, f.pose, f.crop
    results = paste_frames(frames, faces_per_frame, crops, head_gaze, region="eyes")

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
from gazejax.face.paste import paste, region_mask


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


@dataclasses.dataclass(frozen=True)
class RedirectedFrame:
    """A frame redirected by a method's frame redirector (numpy).

    image: ``(H, W, 3)`` float32, the frame with every face redirected and pasted back.
    faces: the :class:`PreparedFace` of each face.
    gaze: ``(F, 2)`` the gaze each face was given (the model's input).
    outputs: ``(F, R, R, 3)`` the redirected crops; ``alpha``: ``(H, W)`` the union of the paste masks.
    """

    image: np.ndarray
    faces: list
    gaze: np.ndarray
    outputs: np.ndarray
    alpha: np.ndarray


def paste_frames(frames, faces, outputs, gaze, region):
    """:class:`RedirectedFrame` of each frame: its faces' redirected crops pasted back over ``region``.

    Args:
      frames: the frames ``(H, W, 3)`` in [0, 1].
      faces: per frame, the list of its :class:`PreparedFace`.
      outputs: ``(F, R, R, 3)`` one redirected crop per face, the faces of all frames in order.
      gaze: ``(F, 2)`` the gaze each face was given, in the same order.
      region: a :data:`gazejax.face.REGIONS` name (``"face"``, ``"eyes"``).
    """
    results, start = [], 0
    for frame, frame_faces in zip(frames, faces):
        frame = np.asarray(frame, np.float32)
        image, alpha = frame, np.zeros(frame.shape[:2], np.float32)
        stop = start + len(frame_faces)
        for f, output in zip(frame_faces, outputs[start:stop]):
            image, face_alpha = paste(image, output, f.crop, region_mask(f.crop, region))
            alpha = np.maximum(alpha, face_alpha)
        results.append(RedirectedFrame(image if frame_faces else frame.copy(), list(frame_faces),
                                       np.asarray(gaze[start:stop]), outputs[start:stop], alpha))
        start = stop
    return results


def pad_to_power_of_two(array):
    """``array`` with its last row repeated up to the next power-of-two row count.

    A model called on the faces of a video's frames then compiles a few batch
    shapes only, however the number of faces varies; slice its output back.
    """
    padded = 1 << (len(array) - 1).bit_length()
    return np.concatenate([array, np.repeat(array[-1:], padded - len(array), 0)])
