"""A rotated square region of an image, cut out at a model's input size and mapped back (MediaPipe's ROI).

The region's corners go to the corners of the ``size x size`` patch: patch point
``q`` (pixels, 0 to size) is image point ``centre + side * R(angle) (q / size - 1/2)``,
with ``R`` a rotation by ``angle`` radians, clockwise on screen (y down).
"""

from typing import NamedTuple

import cv2
import numpy as np


class RotatedSquare(NamedTuple):
    centre: np.ndarray  # (2,) px
    side: float  # px
    angle: float  # radians

    @classmethod
    def around(cls, box_min, box_max, scale, angle):
        """The square on the long side of the box ``box_min..box_max`` (px), ``scale`` times as wide."""
        box_min, box_max = np.asarray(box_min, np.float64), np.asarray(box_max, np.float64)
        return cls((box_min + box_max) / 2, float(np.max(box_max - box_min)) * scale, float(angle))

    def patch_to_image(self, size):
        """``(2, 3)`` affine taking patch pixels of a ``size`` patch to image pixels."""
        c, s = np.cos(self.angle), np.sin(self.angle)
        linear = self.side / size * np.array([[c, -s], [s, c]])
        return np.concatenate([linear, (self.centre - linear @ np.full(2, size / 2))[:, None]], axis=1)

    def cut(self, image, size, border=cv2.BORDER_REPLICATE):
        """``(size, size, C)`` patch of ``image (H, W, C)`` uint8, bilinear; outside the image: ``border``."""
        return cv2.warpAffine(image, self.patch_to_image(size), (size, size),
                              flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=border, borderValue=0)

    def to_image(self, points, size):
        """``(N, 2)`` patch pixels of a ``size`` patch → image pixels."""
        affine = self.patch_to_image(size)
        return points @ affine[:, :2].T + affine[:, 2]


def eye_line_angle(first, second):
    """Rotation that makes the line ``first → second`` (px) horizontal, pointing right."""
    return float(np.arctan2(second[1] - first[1], second[0] - first[0]))
