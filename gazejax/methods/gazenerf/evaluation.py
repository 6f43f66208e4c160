"""GazeNeRF's evaluation protocol (``gazejax evaluate``): fit each held-out input, render the target.

Pairs are fixed per subject (:func:`protocol_pairs`); fitting and rendering
are :func:`gazejax.methods.gazenerf.fitting.fit_and_redirect`.
"""

import collections
import functools
import json
import pathlib

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import tqdm

from gazejax import metrics
from gazejax.convert import load_frozen
from gazejax.data import pairing
from gazejax.data import pipeline as pipeline_lib
from gazejax.geometry import angular_error
from gazejax.methods.gazenerf import latent
from gazejax.methods.gazenerf import training as method
from gazejax.methods.gazenerf.fitting import fit_and_redirect
from gazejax.methods.gazenerf.losses import region_masks, whiten_outside
from gazejax.pretrained.gaze_estimator import LABEL_KEYS, estimate_angles, load_gaze_estimator
from gazejax.pretrained.lpips import load_lpips
from gazejax.train.sample_grid import save_grid


def protocol_pairs(identity, frame, view, inputs_per_subject, max_subjects):
    """Fixed (input, target) record indices per subject, deterministic.

    Inputs are each subject's first ``inputs_per_subject`` records; the
    target of input ``k`` is the next record of the same subject with a
    different frame (so a different gaze), cycling.
    """
    pairs = []
    for subject in np.unique(identity)[:max_subjects]:
        rows = np.flatnonzero(identity == subject)
        for k, i in enumerate(rows[:inputs_per_subject]):
            others = [j for j in np.roll(rows, -(k + 1)) if frame[j] != frame[i]]
            if others:
                pairs.append((int(i), int(others[0])))
    return pairs


def evaluate(config, state, workdir):
    """The redirection protocol on ``data.eval_split``: fit each input, render the target.

    Metrics against the TRUE target image (SynthGaze knows it; for h5 data it
    is the dataset's target image), backgrounds whitened as the reference:
    PSNR, SSIM, LPIPS (``eval.lpips_checkpoint``); with an estimator
    (``loss.estimator_checkpoint``): gaze (and, when the estimator predicts
    it, head) error of est(output) vs est(target), the reference protocol,
    and, where the target has camera-frame labels (SynthGaze's ``gaze`` and
    ``head_pose``), est(output) against them (``*_error_vs_label``). The same
    numbers for the do-nothing baseline (output = input, keys ``baseline_*``),
    for the trained network rendering the input's dataset codes at the target
    without any fitting (``unfitted_*``: whether the network itself follows
    the gaze, apart from what fitting keeps or loses), the estimator on
    the true target (``target_*_error_vs_label``, its own floor) and the
    same inputs drawn from the training split, re-rendered from their own
    learnt offsets (``seen_*``, see :func:`_seen_scores`). Writes
    ``workdir/gazenerf_eval.json`` and ``workdir/gazenerf_eval.png`` (one
    column for each of the first 10 pairs; rows: input, fitted and
    redirected, unfitted, true target, all whitened outside the head as
    scored).
    """
    source, pairs = _protocol_source(config, config.data.eval_split)
    estimator = _estimator(config, state.extra)
    lpips = load_lpips(config.eval.lpips_checkpoint) if config.eval.lpips_checkpoint else None
    key = jax.random.key(config.seed)
    scores = collections.defaultdict(list)
    pictures = collections.defaultdict(list)
    step = config.eval.fit_batch
    for start in tqdm.tqdm(range(0, len(pairs), step), desc="fit + redirect", unit="batch"):
        chunk = pairs[start:start + step]
        inputs = _stack([pipeline_lib.to_float(source[i]) for i, _ in chunk])
        targets = _stack([pipeline_lib.to_float(source[j]) for _, j in chunk])
        images, _ = fit_and_redirect(config, state.params["net"], state.extra, inputs,
                                     targets["gaze_head"], jax.random.fold_in(key, start),
                                     target_camera=targets,
                                     target_illumination=targets["illumination_code"])
        truth = whiten_outside(targets["image"], region_masks(targets)[0])
        unchanged = whiten_outside(inputs["image"], region_masks(inputs)[0])
        outputs = {"": images["merged"], "baseline_": unchanged,
                   "unfitted_": _render_unfitted(ml_collections.FrozenConfigDict(config),
                                                 state.params["net"], inputs, targets)}
        shown = max(0, min(len(chunk), _PICTURE_PAIRS - start))
        for row, out in zip(_PICTURE_ROWS, (unchanged, images["merged"], outputs["unfitted_"], truth)):
            pictures[row].append(np.asarray(out[:shown]))
        ref = estimator(truth) if estimator is not None else None
        labels = _labels(targets)
        if ref is not None:
            for name in ref.keys() & labels.keys():
                scores[f"target_{name}_error_vs_label"] += list(
                    np.asarray(angular_error(ref[name], labels[name])))
        for prefix, out in outputs.items():
            _add_scores(scores, prefix, out, truth, labels, estimator, ref, lpips)
    for name, values in _seen_scores(config, state, estimator).items():
        scores[name] += values
    results = {k: float(np.mean(v)) for k, v in scores.items()}
    results["num_pairs"] = len(pairs)
    path = pathlib.Path(workdir) / "gazenerf_eval.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    save_grid(path.with_suffix(".png"), {k: np.concatenate(v) for k, v in pictures.items()},
              max_columns=_PICTURE_PAIRS)
    return results


def _protocol_source(config, split):
    """(source of ``split``, its :func:`protocol_pairs`), ids read through the cached pairing index."""
    source, cache_path = pipeline_lib.open_source(config.data, split)
    index = pairing.build_index(source, cache_path)
    pairs = protocol_pairs(index.identity, index.frame, index.view, config.eval.inputs_per_subject,
                           config.eval.max_subjects)
    return source, pairs


def _seen_scores(config, state, estimator):
    """``seen_*`` scores: the protocol's inputs taken from the TRAINING split, re-rendered.

    Each image is rendered from its own learnt offsets, gaze and camera and
    scored against itself (PSNR, SSIM, the estimator against its labels):
    the network's ceiling, since a gaze it cannot reproduce on an image it
    was trained on, it cannot redirect a new subject to.
    """
    source, pairs = _protocol_source(config, config.data.split)
    inputs = [i for i, _ in pairs]
    frozen = ml_collections.FrozenConfigDict(config)
    scores = collections.defaultdict(list)
    for start in range(0, len(inputs), config.eval.fit_batch):
        records = _stack([pipeline_lib.to_float(source[i])
                          for i in inputs[start:start + config.eval.fit_batch]])
        out = _render_seen(frozen, state.params, records)
        truth = whiten_outside(records["image"], region_masks(records)[0])
        _add_scores(scores, "seen_", out, truth, _labels(records), estimator)
    return scores


@functools.partial(jax.jit, static_argnums=0)
def _render_seen(config, params, records):
    """Whole-face images of training ``records`` from their own offset rows, gaze and camera."""
    rows = latent.gather(params["offsets"], method.offset_slots(config, records))
    return method.render_records(config, params["net"], records, rows)["merged"]


# Row names of the evaluation picture; save_grid orders rows by name.
_PICTURE_ROWS = ("1 input", "2 fitted, redirected", "3 unfitted", "4 true target")
# Columns of the picture: the first pairs only, since the ETH protocol has 1500 pairs at 512^2.
_PICTURE_PAIRS = 10


@functools.partial(jax.jit, static_argnums=0)
def _render_unfitted(config, net_params, inputs, targets):
    """Whole-face images of ``inputs``' codes (zero offsets) at the targets' gaze, camera, lighting."""
    records = {**inputs, "illumination_code": targets["illumination_code"]}
    camera = latent.record_camera(targets, config.model.featmap_size, method.image_size(config))
    return method.render_records(config, net_params, records, gaze=targets["gaze_head"],
                                 camera=camera)["merged"]


def _labels(records):
    """{'gaze'[, 'head']: camera-frame label angles} that ``records`` carry."""
    return {name: records[key] for name, key in LABEL_KEYS.items() if key in records}


def _add_scores(scores, prefix, out, truth, labels, estimator, ref=None, lpips=None):
    """Appends per-image scores of ``out`` (B, H, W, 3) to ``scores[prefix + name]``.

    PSNR and SSIM against ``truth`` (LPIPS when ``lpips`` is given); with an
    estimator, ``{angle}_error`` of its predictions against ``ref`` (the
    estimator on the truth, when given) and ``{angle}_error_vs_label``
    against ``labels``.
    """
    found = {"psnr": metrics.psnr(out, truth), "ssim": metrics.ssim(out, truth)}
    if lpips is not None:
        found["lpips"] = lpips(out, truth)
    if estimator is not None:
        pred = estimator(out)
        for name in pred:
            if ref is not None:
                found[f"{name}_error"] = angular_error(pred[name], ref[name])
            if name in labels:
                found[f"{name}_error_vs_label"] = angular_error(pred[name], labels[name])
    for name, values in found.items():
        scores[prefix + name] += list(np.asarray(values))


def _stack(rows):
    return {k: jnp.asarray(np.stack([r[k] for r in rows])) for k in rows[0]}


def _estimator(config, extra):
    """Jitted images -> {'gaze'[, 'head']} of the judge, or None.

    The judge is ``eval.estimator_checkpoint``, or else the functional loss's
    frozen estimator (``loss.estimator_checkpoint``, whose variables the run holds).
    """
    judge = config.eval.get("estimator_checkpoint", "")
    if judge:
        return load_gaze_estimator(judge)[0]
    if "estimator" not in extra:
        return None
    module, _, info = load_frozen(config.loss.estimator_checkpoint)
    predict = jax.jit(lambda v, x: estimate_angles(module, v, info, x))
    return functools.partial(predict, extra["estimator"])
