"""MGGR evaluation protocol (``gazejax evaluate``), grouped by redirection angle as Fig. 5.

For ``eval.num_batches`` redirection pairs of ``data.eval_split`` (identities
disjoint from training), each eye patch is redirected and compared with the
TRUE target patch:

- PSNR/SSIM of the coarse (``MGGR-C``) and refined (``MGGR``) outputs and of
  the do-nothing baseline (output = source patch);
- LPIPS of the same with ``eval.lpips_checkpoint`` (``gazejax convert lpips``);
- gaze error (degrees) of the outputs, the baseline and the true target with
  ``eval.estimator_checkpoint`` (a converted gaze estimator directory, see
  :mod:`gazejax.methods.livegaze.evaluation`), against the target patch's label.

Pairs are grouped (Sec. 4.2) by ``|d pitch| + |d yaw|`` in degrees, rounded to
``eval.bucket_deg`` and capped at ``eval.max_bucket_deg``. Returns
``{'overall': {metric: mean}, 'by_redirection_deg': {bucket: {metric: mean,
'pairs': n}}}``.
"""

import jax
import jax.numpy as jnp
import numpy as np

from gazejax.data.pipeline import make_pipeline
from gazejax.geometry import angular_error
from gazejax.metrics import psnr, ssim
from gazejax.pretrained.gaze_estimator import load_gaze_estimator
from gazejax.pretrained.lpips import load_lpips
from gazejax.methods.mggr import training as mggr

OUTPUTS = ("coarse", "refined", "baseline")


def redirection_buckets(source_gaze, target_gaze, bucket_deg, max_bucket_deg):
    """(N, 2) radians each -> (N,) bucket of ``|d pitch| + |d yaw|`` in degrees."""
    total = np.degrees(np.abs(np.asarray(target_gaze) - np.asarray(source_gaze))).sum(-1)
    return np.minimum(np.round(total / bucket_deg) * bucket_deg, max_bucket_deg)


def evaluate(config, state, workdir):
    """Runs the protocol above on this process's batches."""
    del workdir  # the trainer writes eval.json
    e = config.eval
    pipe = make_pipeline(
        config.data, config.data.eval_split, global_batch_size=config.batch_size, seed=config.seed,
        process_index=jax.process_index(), process_count=jax.process_count(),
    )

    @jax.jit
    def outputs(params, batch):
        pairs = mggr.patch_pairs(config, batch)
        out = mggr.redirect(config, params, pairs["source"], pairs["head_pose"],
                            pairs["source_gaze"], pairs["target_gaze"])
        images = dict(coarse=out["coarse"], refined=jnp.clip(out["refined"], 0.0, 1.0),
                      baseline=pairs["source"])
        scores = {}
        for name, image in images.items():
            scores[f"psnr_{name}"] = psnr(image, pairs["target"])
            scores[f"ssim_{name}"] = ssim(image, pairs["target"])
        return pairs, images, scores

    lpips = load_lpips(e.lpips_checkpoint) if e.lpips_checkpoint else None
    estimate = load_gaze_estimator(e.estimator_checkpoint)[0] if e.estimator_checkpoint else None
    rows = {}
    for i in range(e.num_batches):
        pairs, images, scores = outputs(state.params, pipe.local_batch(i))
        if lpips is not None:
            scores.update({f"lpips_{n}": lpips(images[n], pairs["target"]) for n in OUTPUTS})
        if estimate is not None:
            label = pairs["target_gaze"]
            for name, image in dict(images, target=pairs["target"]).items():
                scores[f"gaze_error_deg_{name}"] = angular_error(estimate(image)["gaze"], label)
        scores["redirection_deg"] = redirection_buckets(
            pairs["source_gaze"], pairs["target_gaze"], e.bucket_deg, e.max_bucket_deg)
        for k, v in scores.items():
            rows.setdefault(k, []).append(np.asarray(v))
    rows = {k: np.concatenate(v) for k, v in rows.items()}
    buckets = rows.pop("redirection_deg")

    def means(selected):
        out = {k: float(np.mean(v[selected])) for k, v in rows.items()}
        out["pairs"] = int(np.sum(selected))
        return out

    return dict(
        overall=means(np.ones_like(buckets, bool)),
        by_redirection_deg={f"{b:g}": means(buckets == b) for b in np.unique(buckets)},
    )
