"""MediaPipe's custom TFLite operators of its attention face mesh, in numpy (version 2 of each).

``face_landmark_with_attention.tflite`` first estimates the 468 mesh points, then
cuts the lips and each eye out of an inner feature map around them and refines
those points (and the irises) from the cut-outs. The cutting and mapping back are
three operators of MediaPipe's own, which LiteRT does not have; they run here,
between the parts of the model (:mod:`gazejax.face.litert_model`). Each takes the
operator's options (its flexbuffer map) and its input arrays, batch of 1 first.

A transform matrix is ``(1, 4, 4)``; its top-left 2x2 block and last column take a
point of the cut-out to the feature map (x right, y down, pixel units of each).
"""

import numpy as np


def landmarks_to_transform_matrix(options, landmarks):
    """``Landmarks2TransformMatrix``: ``(1, N, 3)`` landmarks → the matrix of the region around a subset.

    The region is the subset's bounding box in a frame turned so that landmark
    ``left_rotation_idx → right_rotation_idx`` points along ``target_rotation_radians``,
    scaled by ``scale_x``, ``scale_y`` and sampled ``output_width x output_height``.
    """
    points = landmarks.reshape(-1, landmarks.shape[-1])[:, :2].astype(np.float64)
    left, right = points[options["left_rotation_idx"]], points[options["right_rotation_idx"]]
    turn = options["target_rotation_radians"] - np.arctan2(right[1] - left[1], right[0] - left[0])
    turned = points[options["subset_idxs"]] @ _rotation(turn).T
    low, high = turned.min(axis=0), turned.max(axis=0)
    out_size = np.array([options["output_width"], options["output_height"]], np.float64)
    scale = np.array([options["scale_x"], options["scale_y"]]) * (high - low) / out_size
    linear = _rotation(-turn) @ np.diag(scale)
    matrix = np.eye(4)
    matrix[:2, :2] = linear
    matrix[:2, 3] = _rotation(-turn) @ ((low + high) / 2) - linear @ (out_size / 2)
    return matrix[None].astype(np.float32)


def transform_tensor_bilinear(options, features, matrix):
    """``TransformTensorBilinear``: ``(1, H, W, C)`` features sampled at the matrix's region.

    Output pixel centres map to input pixel centres; a sample outside the input's
    pixel centres is 0, one inside is bilinear.
    """
    data = features[0]
    height, width = data.shape[:2]
    m = matrix.reshape(4, 4).astype(np.float64)
    xs, ys = np.meshgrid(np.arange(options["output_width"]) + 0.5, np.arange(options["output_height"]) + 0.5)
    x = m[0, 0] * xs + m[0, 1] * ys + m[0, 3] - 0.5
    y = m[1, 0] * xs + m[1, 1] * ys + m[1, 3] - 0.5
    inside = (x >= 0) & (x <= width - 1) & (y >= 0) & (y <= height - 1)
    x0 = np.clip(np.floor(x), 0, width - 1).astype(int)
    y0 = np.clip(np.floor(y), 0, height - 1).astype(int)
    fx, fy = np.clip(x - x0, 0, 1)[..., None], np.clip(y - y0, 0, 1)[..., None]
    padded = np.pad(data, ((0, 1), (0, 1), (0, 0)))  # the far neighbour of the last pixel weighs 0
    top = (1 - fx) * padded[y0, x0] + fx * padded[y0, x0 + 1]
    bottom = (1 - fx) * padded[y0 + 1, x0] + fx * padded[y0 + 1, x0 + 1]
    out = np.where(inside[..., None], (1 - fy) * top + fy * bottom, 0)
    return out[None].astype(np.float32)


def transform_landmarks(options, landmarks, matrix):
    """``TransformLandmarks``: ``(1, N, 2)`` points of a region → the same points through the matrix."""
    del options  # the version-2 operator has none that change the result
    m = matrix.reshape(4, 4)
    return (landmarks[0] @ m[:2, :2].T + m[:2, 3])[None].astype(np.float32)


OPERATORS = {
    "Landmarks2TransformMatrix": landmarks_to_transform_matrix,
    "TransformTensorBilinear": transform_tensor_bilinear,
    "TransformLandmarks": transform_landmarks,
}


def _rotation(angle):
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s], [s, c]])
