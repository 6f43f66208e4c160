"""The redirection protocol, written once for every method.

A method gives :func:`evaluate_redirection` batches of redirection pairs
(:class:`PairBatch`: the input as scored, the TRUE target image, the gazes
redirected from and to, the target's labels, optionally a mask and whether
the target is seen from the source's camera) and a function
``redirect(batch) -> {row: (N, H, W, 3) images}`` (``'output'``, and any
extra rows of its own such as MGGR's ``'coarse'``). Every row, the
do-nothing baseline (``'do_nothing'``: output = source) and the true target
(``'target'``: the judge's floor) are scored alike against the target image:

- ``psnr``, ``ssim``: inside ``mask`` when the batch has one, else over the
  whole image (:mod:`gazejax.metrics`);
- ``lpips`` (with an LPIPS judge): of the images multiplied by the mask;
- ``fid`` (with FID Inception features): of each row's set of (masked) images
  against the set of (masked) targets, one number per set, so only in the
  overall rows; with a few hundred images it is biased upwards, so compare it
  only within one table;
- with a gaze estimator: ``{gaze,head}_error_deg``, the angle (degrees)
  between the judge's reading of the row's image and the target's label, and
  ``{gaze,head}_error_vs_judge_deg``, against the judge's reading of the
  target image (the two differ by the judge's own error). The judge sees the
  images unmasked.

Means are per pair, over all pairs (``rows``), over the pairs whose target is
seen from the source's camera (``same_view``: there the camera-frame gaze
changes only by the eyes' rotation, while a new view also turns the head),
and per redirection-angle bucket (``buckets``, :mod:`gazejax.evaluation.buckets`).
"""

import collections
import dataclasses
from typing import Any, Optional

import jax
import numpy as np

from gazejax.evaluation.buckets import BUCKET_DEG, MAX_BUCKET_DEG, redirection_buckets
from gazejax.evaluation.scores import ScoreTable
from gazejax.geometry import angular_error
from gazejax.metrics import frechet_inception_distance, psnr, ssim

DO_NOTHING, OUTPUT, TARGET = "do_nothing", "output", "target"
# The top-level keys of a report (eval.json adds "method" and "step" in front).
REPORT_KEYS = ("pairs", "rows", "same_view", "buckets")


@dataclasses.dataclass(frozen=True)
class PairBatch:
    """N redirection pairs as the protocol scores them (arrays with leading size N).

    source: (N, H, W, 3) the input image as scored: the do-nothing output.
    target: (N, H, W, 3) the true target image.
    source_gaze, target_gaze: (N, 2) (pitch, yaw) radians the method redirects
        from and to, in the frame it is given them (its buckets).
    labels: ``{'gaze'[, 'head']: (N, 2)}`` the target's labels in the judge's
        frame (:func:`gazejax.evaluation.judges.record_labels`); may be empty.
    mask: (N, H, W) the region PSNR/SSIM/LPIPS/FID compare, or None (whole image).
    same_view: (N,) bool, the target seen from the source's camera; None if unknown.
    inputs: whatever the method's ``redirect`` reads (records, keys).
    """

    source: Any
    target: Any
    source_gaze: Any
    target_gaze: Any
    labels: dict
    mask: Optional[Any] = None
    same_view: Optional[Any] = None
    inputs: Any = None


@dataclasses.dataclass(frozen=True)
class Evaluation:
    """The report (JSON-ready dict, keys :data:`REPORT_KEYS`) and the first pairs' images by row."""

    report: dict
    images: dict


def evaluate_redirection(batches, redirect, judges, bucket_deg=BUCKET_DEG,
                         max_bucket_deg=MAX_BUCKET_DEG, keep_images=0):
    """Runs the protocol over ``batches`` (an iterable of :class:`PairBatch`).

    Args:
      batches: the pairs, batch by batch.
      redirect: ``PairBatch -> {row: (N, H, W, 3)}``, the method's outputs.
      judges: :class:`gazejax.evaluation.judges.Judges`.
      bucket_deg, max_bucket_deg: redirection-angle buckets (degrees).
      keep_images: keep the images of every row for this many first pairs.

    Returns:
      :class:`Evaluation`.
    """
    table = ScoreTable()
    features = collections.defaultdict(list)
    kept = collections.defaultdict(list)
    buckets, same_view = [], []
    pairs = 0
    for batch in batches:
        images = {DO_NOTHING: batch.source, **redirect(batch), TARGET: batch.target}
        judged_target = judges.estimate(batch.target) if judges.estimate is not None else None
        for row, image in images.items():
            table.add(row, _row_scores(image, batch, judges, judged_target))
            if judges.fid_features is not None:
                features[row].append(np.asarray(judges.fid_features(_masked(image, batch.mask))))
            if pairs < keep_images:
                kept[row].append(np.asarray(image[:keep_images - pairs]))
        n = len(batch.source)
        pairs += n
        buckets.append(redirection_buckets(batch.source_gaze, batch.target_gaze, bucket_deg,
                                           max_bucket_deg))
        same_view.append(np.zeros(n, bool) if batch.same_view is None
                         else np.asarray(batch.same_view, bool).reshape(n))
    buckets = np.concatenate(buckets) if buckets else np.zeros(0)
    same_view = np.concatenate(same_view) if same_view else np.zeros(0, bool)
    rows = table.rows()
    if features:
        truth = np.concatenate(features[TARGET])
        for row, parts in features.items():
            rows[row]["fid"] = frechet_inception_distance(np.concatenate(parts), truth)
    report = {
        "pairs": pairs,
        "rows": rows,
        "same_view": {"pairs": int(same_view.sum()), "rows": table.rows(same_view)},
        "buckets": [{"redirection_deg": float(b), "pairs": int(np.sum(buckets == b)),
                     "rows": table.rows(buckets == b)} for b in np.unique(buckets)],
    }
    return Evaluation(report, {row: np.concatenate(parts) for row, parts in kept.items()})


def _row_scores(image, batch, judges, judged_target):
    """``{metric: (N,)}`` of one row's images against the batch's targets."""
    scores = dict(_similarity(image, batch.target, batch.mask))
    if judges.lpips is not None:
        scores["lpips"] = judges.lpips(_masked(image, batch.mask), _masked(batch.target, batch.mask))
    if judged_target is not None:
        judged = judged_target if image is batch.target else judges.estimate(image)
        for name, angles in judged.items():
            if name in batch.labels:
                scores[f"{name}_error_deg"] = angular_error(angles, batch.labels[name])
            scores[f"{name}_error_vs_judge_deg"] = angular_error(angles, judged_target[name])
    return scores


@jax.jit
def _similarity(image, target, mask):
    return {"psnr": psnr(image, target, mask), "ssim": ssim(image, target, mask)}


def _masked(images, mask):
    return images if mask is None else images * mask[..., None]
