"""Faces from BlazeFace short range (MediaPipe's ``face_detection_short_range.tflite``): boxes and 6 keypoints.

The model sees the whole image letterboxed into 128x128 (zero padding, values in
[-1, 1]) and gives, for each of 896 SSD anchors, 16 numbers (box centre offset,
box size, 6 keypoints; in input pixels, relative to the anchor's centre) and a
score logit. Anchors: a 16x16 grid (stride 8) with 2 per cell, then an 8x8
grid (stride 16) with 6 per cell, all of unit size. Overlapping boxes are merged
as MediaPipe does (weighted non-maximum suppression: each group averaged, weighted
by score).
"""

from typing import NamedTuple

import cv2
import numpy as np

from gazejax.face.rotated_square import RotatedSquare

INPUT_SIZE = 128
ANCHOR_GRIDS = ((16, 2), (8, 6))  # (cells per side, anchors per cell)
NUM_KEYPOINTS = 6  # subject's right eye, left eye, nose tip, mouth centre, right ear, left ear
SCORE_LOGIT_CLIP = 100.0
MERGE_IOU = 0.3


class FaceBox(NamedTuple):
    score: float
    box_min: np.ndarray  # (2,) px, top left
    box_max: np.ndarray  # (2,) px, bottom right
    keypoints: np.ndarray  # (6, 2) px


def anchor_centres():
    """``(896, 2)`` anchor centres in [0, 1] of the model input, in the model's output order."""
    centres = []
    for cells, per_cell in ANCHOR_GRIDS:
        xy = (np.stack(np.meshgrid(np.arange(cells), np.arange(cells)), axis=-1).reshape(-1, 2) + 0.5) / cells
        centres.append(np.repeat(xy, per_cell, axis=0))
    return np.concatenate(centres)


def find_faces(model, rgb, min_score):
    """Faces in ``rgb (H, W, 3)`` uint8, best score first; ``model``: input → {"regressors", "classificators"}."""
    height, width = rgb.shape[:2]
    letterbox = RotatedSquare(np.array([width, height]) / 2, max(width, height), 0.0)
    pixels = letterbox.cut(rgb, INPUT_SIZE, border=cv2.BORDER_CONSTANT).astype(np.float32)
    outputs = model(pixels / 127.5 - 1)
    regressors, logits = outputs["regressors"], outputs["classificators"]
    scores = 1 / (1 + np.exp(-np.clip(logits.reshape(-1).astype(np.float64), -SCORE_LOGIT_CLIP, SCORE_LOGIT_CLIP)))
    keep = scores >= min_score
    values = regressors.reshape(len(scores), -1)[keep, :4 + 2 * NUM_KEYPOINTS] / INPUT_SIZE
    anchors = anchor_centres()[keep]
    centres, sizes = values[:, :2] + anchors, values[:, 2:4]
    boxes = np.concatenate([centres - sizes / 2, centres + sizes / 2], axis=1)
    keypoints = values[:, 4:].reshape(-1, NUM_KEYPOINTS, 2) + anchors[:, None]
    to_image = lambda p: letterbox.to_image(p * INPUT_SIZE, INPUT_SIZE)  # noqa: E731
    return [FaceBox(score, to_image(box[:2]), to_image(box[2:]), to_image(points))
            for score, box, points in _merge_overlapping(scores[keep], boxes, keypoints)]


def _merge_overlapping(scores, boxes, keypoints):
    """MediaPipe's weighted NMS: the best box and all it overlaps by IoU > MERGE_IOU become one, score-weighted."""
    remaining = np.argsort(-scores, kind="stable")
    while remaining.size:
        overlapping = _iou(boxes[remaining[0]], boxes[remaining]) > MERGE_IOU
        overlapping[0] = True  # also when the box is empty and its IoU with itself undefined
        group = remaining[overlapping]
        weights = scores[group] / scores[group].sum()
        yield (float(scores[remaining[0]]), weights @ boxes[group],
               np.einsum("g,gkc->kc", weights, keypoints[group]))
        remaining = remaining[~overlapping]


def _iou(box, boxes):
    """IoU of ``box (4,)`` with each of ``boxes (N, 4)``, as (x0, y0, x1, y1)."""
    inner = np.clip(np.minimum(box[2:], boxes[:, 2:]) - np.maximum(box[:2], boxes[:, :2]), 0, None).prod(axis=1)
    area = lambda b: (b[..., 2:] - b[..., :2]).prod(axis=-1)  # noqa: E731
    return inner / (area(box) + area(boxes) - inner)
