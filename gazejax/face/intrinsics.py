"""Camera intrinsics of a photo: from ``--focal``, a calibration file, or a default field of view.

Without calibration the focal length is the image width in pixels (a 53.1
degree horizontal field of view, typical of phone and laptop cameras) and the
principal point is the image centre, as ptgaze's demo assumes. The crop a
method sees depends little on this guess (the face centre and the head's x
axis set it), but head-pose and gaze angles in the camera frame do: give the
real focal length when those numbers matter (docs/photos.md).

A calibration file is OpenCV's ``FileStorage`` format (``.xml``, ``.yaml`` or
``.json``, as ``cv2.FileStorage`` writes) with a 3x3 ``camera_matrix`` node
(ETH-XGaze's ``Camera_Matrix`` is read too). Lens distortion is not modelled.
"""

import math
import pathlib

import numpy as np

DEFAULT_FOCAL_PER_WIDTH = 1.0
DEFAULT_HORIZONTAL_FOV_DEG = math.degrees(2 * math.atan(0.5 / DEFAULT_FOCAL_PER_WIDTH))
CALIBRATION_NODES = ("camera_matrix", "Camera_Matrix")


def camera_matrix(width, height, focal=None):
    """``K (3, 3)`` float64 of a ``width x height`` image, focal in pixels (default: the width)."""
    focal = DEFAULT_FOCAL_PER_WIDTH * width if focal is None else float(focal)
    if not (math.isfinite(focal) and focal > 0):
        raise ValueError(f"the focal length must be a positive number of pixels, got {focal}")
    return np.array([[focal, 0.0, width / 2.0], [0.0, focal, height / 2.0], [0.0, 0.0, 1.0]])


def read_calibration(path):
    """``K (3, 3)`` from an OpenCV calibration file; ValueError (one line) when it has none."""
    import cv2  # noqa: PLC0415

    path = pathlib.Path(path)
    if not path.is_file():
        raise ValueError(f"no such calibration file: {path}")
    try:
        storage = cv2.FileStorage(str(path), cv2.FILE_STORAGE_READ)
    except cv2.error:
        raise ValueError(f"{path} is not an OpenCV calibration file (.xml, .yaml or .json)") from None
    try:
        for name in CALIBRATION_NODES:
            node = storage.getNode(name)
            if not node.empty():
                matrix = node.mat()
                break
        else:
            raise ValueError(f"{path} has no {' or '.join(CALIBRATION_NODES)} node")
    finally:
        storage.release()
    if matrix is None or matrix.shape != (3, 3) or not np.isfinite(matrix).all() or matrix[0, 0] <= 0:
        raise ValueError(f"{path}: the camera matrix must be a finite 3x3 matrix with a positive focal length")
    return np.asarray(matrix, np.float64)
