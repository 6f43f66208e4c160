"""GazeNeRF test-time fitting, redirection and the evaluation protocol.

Fitting a new subject (reference notes Sec. 5, ``evaluate_metrics.py``):
starting from the trained network, fine-tune EVERYTHING -- network, latent
offsets and camera delta -- on one image for ``fit.num_steps`` (75) Adam
steps at ``fit.lr`` / ``fit.slow_lr`` with the training losses plus the functional loss
(``fit.angular_weight``), then render in test mode with the target's gaze,
camera and illumination. The whole loop is one ``lax.scan`` under ``jit``
and is ``vmap``-ed over subjects, each with its own copy of the network.

The reference starts the offsets from its training slot 0 (a quirk); here
they start from zero.
"""

import collections
import functools
import json
import pathlib

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax
import tqdm

from gazejax import metrics
from gazejax.convert import load_frozen
from gazejax.data import pairing
from gazejax.data import pipeline as pipeline_lib
from gazejax.geometry import angular_error
from gazejax.losses.gazenerf import region_masks, whiten_outside
from gazejax.models.gaze_estimator import LABEL_KEYS, estimate_angles
from gazejax.models.gazenerf import latent
from gazejax.models.lpips import load_lpips
from gazejax.train import gazenerf as method
from gazejax.train.sample_grid import save_grid


def _fit_one(config, net_params, extra, record, key, num_steps):
    """Fine-tunes on ONE record (leaves without batch dim) -> params {'net', 'offsets' (1 row)}."""
    record = jax.tree.map(lambda a: a[None], record)
    params = {"net": net_params,
              "offsets": latent.init_offsets(1, config.model.iden_dim, config.model.expr_dim,
                                             config.model.text_dim + config.model.illu_dim)}
    # Runs saved before fit.lr existed fit at their training rates.
    tx = method.optimizer(config.fit if "lr" in config.fit else config.optim)
    slots = jnp.zeros((1,), jnp.int32)
    grad_fn = jax.grad(method.reconstruction_loss, argnums=1, has_aux=True)

    def step(carry, i):
        params, opt_state = carry
        grads, terms = grad_fn(config, params, extra, record, slots, jax.random.fold_in(key, i),
                               config.fit.angular_weight)
        updates, opt_state = tx.update(grads, opt_state, params)
        return (optax.apply_updates(params, updates), opt_state), sum(terms.values())

    (params, _), losses = jax.lax.scan(step, (params, tx.init(params)), jnp.arange(num_steps))
    return params, losses


def fit(config, net_params, extra, records, key, num_steps=None):
    """Fits a batch of subjects, one image each.

    Args:
      config: the GazeNeRF config (``model``, ``loss``, ``optim``, ``fit``).
      net_params: trained network parameters (``state.params['net']``).
      extra: frozen-network variables (``state.extra``).
      records: batch dict ``(B, ...)`` of input images with codes, masks,
        ``gaze_head`` (required, as the reference) and camera.
      key: jitter key; subject ``b`` uses ``fold_in(key, b)``.
      num_steps: fitting steps (default ``config.fit.num_steps``).

    Returns:
      (params with a leading subject axis B, losses ``(B, num_steps)``).
    """
    num_steps = config.fit.num_steps if num_steps is None else num_steps
    keys = jax.vmap(lambda b: jax.random.fold_in(key, b))(jnp.arange(records["image"].shape[0]))
    one = functools.partial(_fit_one, config, net_params, extra, num_steps=num_steps)
    return jax.vmap(one)(records, keys)


def redirect(config, fitted, records, target_gaze, target_camera=None, target_illumination=None):
    """Renders fitted subjects with new gaze / camera / illumination.

    Args:
      fitted: params from :func:`fit` (leading axis B).
      records: the input records ``(B, ...)`` (their codes).
      target_gaze: ``(B, 2)`` head-frame (pitch, yaw), our convention.
      target_camera: None (keep the input's) or a batch dict holding either
        ``camera`` ``(B, 25)`` or ``c2w_rotation``/``c2w_translation``/``intrinsics``.
      target_illumination: optional ``(B, L)`` illumination codes.

    Returns:
      {'face', 'eyes', 'merged'} ``(B, R, R, 3)``.
    """
    size, featmap = method.image_size(config), config.model.featmap_size
    camera = latent.record_camera(target_camera if target_camera is not None else records, featmap, size)
    if target_illumination is not None:
        records = {**records, "illumination_code": target_illumination}

    def one(params, record, gaze, cam):
        record = jax.tree.map(lambda a: a[None], record)
        rows = latent.gather(params["offsets"], jnp.zeros((1,), jnp.int32))
        out = method.render_records(config, params["net"], record, rows, gaze=gaze[None],
                                    camera=jax.tree.map(lambda a: a[None], cam))
        return {k: out[k][0] for k in ("face", "eyes", "merged")}

    return jax.vmap(one)(fitted, records, target_gaze, camera)


def fit_and_redirect(config, net_params, extra, records, target_gaze, key, target_camera=None,
                     target_illumination=None, num_steps=None):
    """Fit each subject on its one input image, then render it redirected.

    The batch API (one target per subject); see :func:`fit` and
    :func:`redirect` for the arguments. Validates shapes in Python, then
    runs one compiled function. (``gazejax redirect --method gazenerf``
    fits one subject once and renders several gazes from it.)

    Returns:
      (images {'face', 'eyes', 'merged'} ``(B, R, R, 3)``, fit losses ``(B, steps)``).
    """
    method.check_record(config, records)
    b = records["image"].shape[0]
    if np.shape(target_gaze) != (b, 2):
        raise ValueError(f"target_gaze must be ({b}, 2) (pitch, yaw) radians, got {np.shape(target_gaze)}")
    if target_camera is not None:
        target_camera = {k: target_camera[k] for k in _CAMERA_KEYS if k in target_camera}
    # A frozen (hashable) config is a static argument: one compilation per config.
    return _fit_and_redirect_jit(ml_collections.FrozenConfigDict(config), net_params, extra, records,
                                 jnp.asarray(target_gaze), key, target_camera, target_illumination,
                                 num_steps)


_CAMERA_KEYS = ("camera", "c2w_rotation", "c2w_translation", "intrinsics")


@functools.partial(jax.jit, static_argnums=(0, 8))
def _fit_and_redirect_jit(config, net_params, extra, records, target_gaze, key, target_camera,
                          target_illumination, num_steps):
    fitted, losses = fit(config, net_params, extra, records, key, num_steps)
    return redirect(config, fitted, records, target_gaze, target_camera, target_illumination), losses


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
    """Jitted images -> {'gaze'[, 'head']} of the configured frozen estimator, or None."""
    if "estimator" not in extra:
        return None
    module, _, info = load_frozen(config.loss.estimator_checkpoint)
    predict = jax.jit(lambda v, x: estimate_angles(module, v, info, x))
    return functools.partial(predict, extra["estimator"])
