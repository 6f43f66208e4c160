"""The frozen networks that score redirected images, loaded from the ``eval.*_checkpoint`` keys."""

import dataclasses
from typing import Callable, Optional

from gazejax.pretrained.fid import load_fid_features
from gazejax.pretrained.gaze_estimator import LABEL_KEYS, load_gaze_estimator
from gazejax.pretrained.lpips import load_lpips


@dataclasses.dataclass(frozen=True)
class Judges:
    """What scores an output beyond PSNR/SSIM; each None when not configured.

    estimate: images (N, H, W, 3) in [0, 1] -> {'gaze'[, 'head']: (N, 2)} (pitch, yaw) radians.
    lpips: (a, b) images -> (N,) LPIPS.
    fid_features: images -> (N, D) FID Inception features.
    """

    estimate: Optional[Callable] = None
    lpips: Optional[Callable] = None
    fid_features: Optional[Callable] = None


def load_judges(eval_config, estimate=None):
    """The judges of ``eval_config``: ``estimator_checkpoint``, ``lpips_checkpoint``, ``fid_checkpoint``.

    A key that is empty or absent means no such judge. ``estimate``, when
    given, is the gaze estimator instead of ``estimator_checkpoint``'s (a
    method that falls back to a network of its own).
    """
    def directory(key):
        return eval_config.get(key, "")

    if estimate is None and directory("estimator_checkpoint"):
        estimate = load_gaze_estimator(directory("estimator_checkpoint"))[0]
    return Judges(
        estimate=estimate,
        lpips=load_lpips(directory("lpips_checkpoint")) if directory("lpips_checkpoint") else None,
        fid_features=(load_fid_features(directory("fid_checkpoint"))
                      if directory("fid_checkpoint") else None),
    )


def record_labels(records):
    """``{'gaze'[, 'head']}``: the camera-frame label angles that a batch of records carries.

    These are what a judge's readings are compared with (SynthGaze records
    have ``gaze`` and ``head_pose``; GazeNeRF h5 records have neither).
    """
    return {name: records[key] for name, key in LABEL_KEYS.items() if key in records}
