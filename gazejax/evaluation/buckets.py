"""Redirection-angle buckets: pairs grouped by how far the gaze is moved (MGGR's Fig. 5)."""

import numpy as np

# MGGR's Fig. 5 groups: |d pitch| + |d yaw| in 5 degree steps up to 50. Configs set
# eval.bucket_deg / eval.max_bucket_deg; these serve runs saved before they did.
BUCKET_DEG = 5.0
MAX_BUCKET_DEG = 50.0


def bucket_widths(eval_config):
    """``{'bucket_deg', 'max_bucket_deg'}`` from ``eval_config``, MGGR's 5 and 50 where it sets none."""
    return dict(bucket_deg=float(eval_config.get("bucket_deg", BUCKET_DEG)),
                max_bucket_deg=float(eval_config.get("max_bucket_deg", MAX_BUCKET_DEG)))


def redirection_buckets(source_gaze, target_gaze, bucket_deg, max_bucket_deg):
    """(N, 2) (pitch, yaw) radians each -> (N,) bucket of ``|d pitch| + |d yaw|`` in degrees.

    Rounded to the nearest multiple of ``bucket_deg`` (halves to even, as
    ``np.round``) and capped at ``max_bucket_deg``.
    """
    total = np.degrees(np.abs(np.asarray(target_gaze) - np.asarray(source_gaze))).sum(-1)
    return np.minimum(np.round(total / bucket_deg) * bucket_deg, max_bucket_deg)
