"""LiveGaze evaluation protocol (``gazejax evaluate``) on held-out SynthGaze identities.

For ``eval.num_batches`` redirection pairs of ``data.eval_split`` (identities
disjoint from training), against the TRUE target image:

- ``psnr_face`` / ``ssim_face``: inside the target's face mask (Table 1 of
  livegaze.txt reports PSNR/SSIM on face-masked images);
- the same for the do-nothing baseline (output = source image), ``*_baseline``;
- with ``eval.estimator_checkpoint`` (a directory from ``gazejax convert`` of a gaze
  estimator): angular gaze error (degrees) of the estimator on the output,
  on the source (baseline) and on the true target (the estimator's own
  floor), each against the target's camera-frame gaze label, and the same
  for the head pose (``head_error_deg*``, against the target's ``head_pose``)
  when the estimator predicts one (the SynthGaze L2CS judge does);
- with ``eval.lpips_checkpoint`` (``gazejax convert lpips``): LPIPS of the
  face-masked output and baseline against the face-masked target;
- with ``eval.fid_checkpoint`` (``gazejax convert inception-fid``): FID of the
  set of face-masked outputs (``fid``) and of inputs (``fid_baseline``)
  against the set of face-masked targets (one number per set, not per pair;
  with a few hundred images it is biased upwards, so compare it only within
  one table);
- every metric again over the pairs whose target is seen from the source's
  own camera (suffix ``_same_view``, count ``pairs_same_view``): there the
  camera-frame gaze changes only by the eyes' rotation, while a new view
  also turns the head, which a judge can read from a blurry face.

Results are per-pair means over this process's batches.
"""

import jax
import jax.numpy as jnp
import numpy as np

from gazejax.data.pipeline import make_pipeline
from gazejax.geometry import angular_error
from gazejax.metrics import frechet_inception_distance, psnr, ssim
from gazejax.pretrained.fid import load_fid_features
from gazejax.pretrained.gaze_estimator import LABEL_KEYS, load_gaze_estimator
from gazejax.pretrained.lpips import load_lpips
from gazejax.methods.livegaze.training import model_variables, redirect


def evaluate(config, state, workdir):
    """Runs the protocol above; returns ``{metric: mean}`` plus ``pairs``."""
    del workdir  # the trainer writes eval.json
    pipe = make_pipeline(
        config.data, config.data.eval_split, global_batch_size=config.batch_size, seed=config.seed,
        process_index=jax.process_index(), process_count=jax.process_count(),
    )

    @jax.jit
    def scores(variables, source, target):
        out = redirect(config, variables, source["image"], target["gaze_head"], target["camera"])["image"]
        out = jnp.clip(out, 0.0, 1.0)
        face = target["face_mask"]
        return out, dict(
            psnr_face=psnr(out, target["image"], face),
            ssim_face=ssim(out, target["image"], face),
            psnr_face_baseline=psnr(source["image"], target["image"], face),
            ssim_face_baseline=ssim(source["image"], target["image"], face),
        )

    estimate = load_gaze_estimator(config.eval.estimator_checkpoint)[0] if config.eval.estimator_checkpoint else None
    lpips = load_lpips(config.eval.lpips_checkpoint) if config.eval.lpips_checkpoint else None
    fid_features = load_fid_features(config.eval.fid_checkpoint) if config.eval.fid_checkpoint else None
    variables = model_variables(state.params, state.extra)
    totals, same_view, features = {}, [], {}
    for i in range(config.eval.num_batches):
        batch = pipe.local_batch(i)
        out, values = scores(variables, batch["source"], batch["target"])
        if estimate is not None:
            values.update(_estimator_errors(estimate, out, batch))
        face = batch["target"]["face_mask"][..., None]
        if lpips is not None:
            target = batch["target"]["image"] * face
            values["lpips_face"] = lpips(out * face, target)
            values["lpips_face_baseline"] = lpips(batch["source"]["image"] * face, target)
        if fid_features is not None:
            for name, images in (("output", out), ("input", batch["source"]["image"]),
                                 ("target", batch["target"]["image"])):
                features.setdefault(name, []).append(np.asarray(fid_features(images * face)))
        for k, v in values.items():
            totals.setdefault(k, []).append(np.asarray(v))
        same_view.append(np.asarray(batch["source"]["view"] == batch["target"]["view"]))
    totals = {k: np.concatenate(v) for k, v in totals.items()}
    same_view = np.concatenate(same_view)
    results = {k: float(np.mean(v)) for k, v in totals.items()}
    if same_view.any():
        results.update({f"{k}_same_view": float(np.mean(v[same_view])) for k, v in totals.items()})
    if features:
        features = {k: np.concatenate(v) for k, v in features.items()}
        results["fid"] = frechet_inception_distance(features["output"], features["target"])
        results["fid_baseline"] = frechet_inception_distance(features["input"], features["target"])
    results["pairs"] = int(same_view.size)
    results["pairs_same_view"] = int(same_view.sum())
    return results


def _estimator_errors(estimate, out, batch):
    """Per-pair angular errors (degrees) of the judge's reading of the output, the
    input (do nothing) and the true target, against the target's labels: gaze,
    and head pose when the judge predicts it."""
    errors = {}
    for suffix, image in (("", out), ("_baseline", batch["source"]["image"]), ("_target", batch["target"]["image"])):
        for name, angles in estimate(image).items():
            errors[f"{name}_error_deg{suffix}"] = angular_error(angles, batch["target"][LABEL_KEYS[name]])
    return errors
