"""Landmarks steadied over video frames: an exponential moving average per tracked face.

Per-frame landmarks jitter by a pixel or two, which the normalization turns
into a crop that shakes and a paste that flickers. Each face of a frame is
matched to the nearest face of the previous frame (by the midpoint of its
eyes, within a fraction of its eye distance) and its landmarks become
``w * new + (1 - w) * previous``; a face that appears or jumps starts afresh.
"""

import numpy as np

from gazejax.face.mesh import eye_centres

# a face whose eyes moved more than this fraction of their distance apart is a new face
MAX_MATCH_FRACTION = 0.5


class LandmarkSmoother:
    """Call with each frame's landmark list, in order; returns the smoothed list.

    ``weight`` is the new frame's share in (0, 1]; 1 turns smoothing off.
    """

    def __init__(self, weight):
        if not 0 < weight <= 1:
            raise ValueError(f"the smoothing weight must be in (0, 1], got {weight}")
        self.weight = weight
        self.previous = []

    def __call__(self, landmarks):
        smoothed = []
        for points in landmarks:
            points = np.asarray(points, np.float64)
            match = self._match(points)
            smoothed.append(points if match is None else self.weight * points + (1 - self.weight) * match)
        self.previous = smoothed
        return smoothed

    def _match(self, points):
        eyes = eye_centres(points)
        middle, distance = eyes.mean(0), np.linalg.norm(eyes[0] - eyes[1])
        best, best_offset = None, MAX_MATCH_FRACTION * distance
        for previous in self.previous:
            offset = np.linalg.norm(eye_centres(previous).mean(0) - middle)
            if previous.shape == points.shape and offset < best_offset:
                best, best_offset = previous, offset
        return best
