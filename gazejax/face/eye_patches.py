"""Eye patches cut from a normalized face as MGGR is trained on them, and pasted back.

ColumbiaGaze/PRGAN's patch: a square around each eye whose side is 1.7 times
the diameter of the eye landmarks' enclosing circle (here: the largest
distance between two points of the eye contour, the corners), centred between
those two points. The subject's right eye is mirrored so both patches look
like a left eye; its angles' yaw is negated by the caller (:data:`MIRROR`).
"""

import dataclasses

import numpy as np

from gazejax.face.mesh import LEFT_EYE_CONTOUR, RIGHT_EYE_CONTOUR

EYE_PATCH_SCALE = 1.7
# (pitch, yaw) of a mirrored patch: the yaw changes sign
MIRROR = np.array([1.0, -1.0])
EYES = (("left", LEFT_EYE_CONTOUR, False), ("right", RIGHT_EYE_CONTOUR, True))


@dataclasses.dataclass(frozen=True)
class EyePatch:
    """One eye's patch: ``image (P, P, 3)``, ``affine (2, 3)`` crop px -> patch px, ``mask (P, P)`` the opening."""

    eye: str
    image: np.ndarray
    affine: np.ndarray
    mask: np.ndarray
    mirrored: bool


def cut_eye_patches(image, landmarks, size):
    """``[left, right]`` :class:`EyePatch` of ``size`` px from ``image (S, S, 3)`` and its ``landmarks (N, 2)``."""
    import cv2  # noqa: PLC0415

    patches = []
    for eye, contour, mirrored in EYES:
        points = np.asarray(landmarks, np.float64)[list(contour)]
        distances = np.linalg.norm(points[:, None] - points[None], axis=-1)
        i, j = np.unravel_index(np.argmax(distances), distances.shape)
        centre, side = (points[i] + points[j]) / 2, EYE_PATCH_SCALE * distances[i, j]
        scale = size / side
        flip = -1.0 if mirrored else 1.0
        affine = np.array([[flip * scale, 0.0, size / 2 - flip * scale * centre[0]],
                           [0.0, scale, size / 2 - scale * centre[1]]])
        patch = cv2.warpAffine(np.asarray(image, np.float32), affine, (size, size), flags=cv2.INTER_AREA,
                               borderMode=cv2.BORDER_REPLICATE)
        mask = np.zeros((size, size), np.uint8)
        in_patch = points @ affine[:, :2].T + affine[:, 2]
        cv2.fillPoly(mask, [np.round(in_patch).astype(np.int32)], 1)
        patches.append(EyePatch(eye, np.clip(patch, 0, 1), affine, mask.astype(np.float32), mirrored))
    return patches


def paste_eye_patches(image, patches, outputs):
    """``image (S, S, 3)`` with each patch's ``outputs[k] (P, P, 3)`` warped back over its eye (whole patch)."""
    import cv2  # noqa: PLC0415

    out = np.asarray(image, np.float32).copy()
    size = (out.shape[1], out.shape[0])
    for patch, output in zip(patches, outputs):
        back = cv2.invertAffineTransform(patch.affine)
        warped = cv2.warpAffine(np.asarray(output, np.float32), back, size, flags=cv2.INTER_CUBIC)
        inside = cv2.warpAffine(np.ones(output.shape[:2], np.float32), back, size, flags=cv2.INTER_NEAREST) > 0
        out[inside] = np.clip(warped[inside], 0, 1)
    return out
