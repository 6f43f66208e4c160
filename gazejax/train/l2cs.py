"""Training L2CS-Net as SynthGaze's gaze judge (L2CS paper Sec. 3; reference notes Sec. 1).

Per angle: cross-entropy over bins + alpha * MSE of the softmax expectation
(``gazejax.losses.gaze.l2cs_loss``); pitch and yaw losses are summed. Labels
are the camera-frame ``gaze`` of each record; L2CS's angle signs equal ours
(``gazejax.geometry.from_l2cs``), so a label in L2CS degrees is just
``degrees(gaze)`` per angle. Training images may be mirrored (yaw negated) and
colour-jittered (``config.augment``, ``gazejax.data.augment``).

``evaluate`` reports the mean angular error over every record of the held-out
identities (``data.eval_split``), next to the baseline of always predicting
the mean training gaze (accumulated in ``state.extra`` while training), and
exports the network to ``<workdir>/estimator`` in the converted-checkpoint
format, so ``gazejax estimate`` and other methods' ``eval.estimator`` can use
it as the gaze judge.
"""

import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import optax

from gazejax import convert
from gazejax.data import pipeline as pipeline_lib
from gazejax.data.augment import random_colour, random_mirror
from gazejax.geometry import angular_error
from gazejax.losses.gaze import l2cs_loss
from gazejax.models.l2cs import BINNINGS, L2CS, logits_to_pitchyaw, mirror_averaged
from gazejax.nn.image_input import resize_square
from gazejax.train.method import Method, TrainState


def model(config):
    return L2CS(depth=config.model.depth, num_bins=BINNINGS[config.model.binning].num_bins)


def _optimizer(config):
    o = config.optim
    if o.schedule == "cosine":
        lr = optax.warmup_cosine_decay_schedule(0.0, o.lr, o.warmup_steps, max(config.num_steps, o.warmup_steps + 1))
    elif o.schedule == "constant":
        lr = o.lr
    else:
        raise ValueError(f"optim.schedule must be 'constant' or 'cosine', got {o.schedule!r}")
    return optax.adamw(lr, weight_decay=o.weight_decay)


def _augment(config, key, images, gaze):
    """Mirror (yaw negated) and colour jitter, as ``config.augment`` asks."""
    a = config.augment
    k_mirror, k_colour = jax.random.split(key)
    if a.mirror:
        images, gaze = random_mirror(k_mirror, images, gaze)
    if a.brightness or a.contrast or a.saturation:
        images = random_colour(k_colour, images, a.brightness, a.contrast, a.saturation)
    return images, gaze


def _inputs(config, images):
    return resize_square(images, config.model.input_size, antialias=True)


def images_and_gaze(config, batch):
    """The estimator's training examples in a batch of records, by ``model.inputs``.

    ``'face'``: ``batch['image']`` (N, H, W, 3) with ``batch['gaze']`` (N, 2).
    ``'eye_patches'``: both eye patches as separate examples (2N, P, P, 3), the
    right ones already mirrored by SynthGaze, with their labels (2N, 2).
    """
    if config.model.inputs == "face":
        return batch["image"], batch["gaze"]
    if config.model.inputs == "eye_patches":
        eyes = ("left", "right")
        return (jnp.concatenate([batch[f"{e}_eye_patch"] for e in eyes]),
                jnp.concatenate([batch[f"{e}_eye_patch_gaze"] for e in eyes]))
    raise ValueError(f"model.inputs must be 'face' or 'eye_patches', got {config.model.inputs!r}")


def init(config, key, batch):
    variables = model(config).init(key, _inputs(config, images_and_gaze(config, batch)[0][:1]))
    params = variables["params"]
    return TrainState(
        step=jnp.zeros((), jnp.int32),
        params=params,
        opt_state=_optimizer(config).init(params),
        batch_stats=variables["batch_stats"],
        extra={"gaze_sum": jnp.zeros(2), "gaze_count": jnp.zeros(())},
    )


def train_step(config, state, batch, key):
    binning = BINNINGS[config.model.binning]
    images, labels = images_and_gaze(config, batch)
    images, gaze = _augment(config, key, images, labels)
    target_deg = jnp.degrees(gaze)  # (N, 2) pitch, yaw
    images = _inputs(config, images)

    def loss_fn(params):
        logits, updates = model(config).apply(
            {"params": params, "batch_stats": state.batch_stats}, images, train=True,
            mutable=["batch_stats"],
        )
        pitch = l2cs_loss(logits["pitch"], target_deg[:, 0], binning, config.loss.alpha)
        yaw = l2cs_loss(logits["yaw"], target_deg[:, 1], binning, config.loss.alpha)
        return pitch + yaw, (logits, updates["batch_stats"], pitch, yaw)

    (loss, (logits, batch_stats, pitch, yaw)), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.params)
    updates, opt_state = _optimizer(config).update(grads, state.opt_state, state.params)
    predicted = logits_to_pitchyaw(logits, binning)
    extra = {
        "gaze_sum": state.extra["gaze_sum"] + jnp.sum(labels, axis=0),
        "gaze_count": state.extra["gaze_count"] + labels.shape[0],
    }
    new_state = state.replace(
        params=optax.apply_updates(state.params, updates), opt_state=opt_state,
        batch_stats=batch_stats, extra=extra,
    )
    metrics = {
        "loss": loss, "loss_pitch": pitch, "loss_yaw": yaw,
        "angular_error_deg": jnp.mean(angular_error(predicted, gaze)),
    }
    return new_state, metrics


def predict(config, state, images):
    """(N, H, W, 3) in [0, 1] -> (N, 2) our (pitch, yaw) radians, inference mode.

    Averaged with the mirrored image's prediction when ``model.mirror_average``.
    """
    def once(x):
        logits = model(config).apply({"params": state.params, "batch_stats": state.batch_stats}, x)
        return logits_to_pitchyaw(logits, BINNINGS[config.model.binning])

    images = _inputs(config, images)
    return mirror_averaged(once, images) if config.model.mirror_average else once(images)


def _mean_training_gaze(state):
    return state.extra["gaze_sum"] / jnp.maximum(state.extra["gaze_count"], 1.0)


def eval_step(config, state, batch):
    images, gaze = images_and_gaze(config, batch)
    errors = angular_error(predict(config, state, images), gaze)
    baseline = angular_error(jnp.broadcast_to(_mean_training_gaze(state), gaze.shape), gaze)
    return {"angular_error_deg": jnp.mean(errors), "mean_gaze_baseline_deg": jnp.mean(baseline)}


def export(config, state, directory):
    """Writes the estimator as a ``gazejax.convert`` checkpoint (loadable with ``convert.load``)."""
    info = {
        "network": "l2cs", "arch": f"resnet{config.model.depth}", "depth": config.model.depth,
        "binning": config.model.binning, "num_bins": BINNINGS[config.model.binning].num_bins,
        "input_size": config.model.input_size, "inputs": config.model.inputs,
        "mirror_average": config.model.mirror_average,
    }
    variables = jax.device_get({"params": state.params, "batch_stats": state.batch_stats})
    convert.save(directory, info, variables, force=True)


def evaluate(config, state, workdir):
    """Mean angular error over all records of ``data.eval_split`` (held-out identities).

    Also exports the estimator to ``<workdir>/estimator`` (unless workdir is None).
    """
    source, _ = pipeline_lib.open_source(config.data, config.data.eval_split)
    predict_fn = jax.jit(lambda s, x: predict(config, s, x))
    mean_gaze = np.asarray(_mean_training_gaze(state))
    errors, baseline = [], []
    for start in range(0, len(source), config.batch_size):
        records = [pipeline_lib.to_float(source[i]) for i in range(start, min(start + config.batch_size, len(source)))]
        images, gaze = images_and_gaze(config, {k: np.stack([r[k] for r in records]) for k in records[0]})
        errors.append(np.asarray(angular_error(predict_fn(state, images), gaze)))
        baseline.append(np.asarray(angular_error(np.broadcast_to(mean_gaze, gaze.shape), gaze)))
    errors, baseline = np.concatenate(errors), np.concatenate(baseline)
    if workdir is not None:
        export(config, state, pathlib.Path(workdir) / "estimator")
    return {
        "angular_error_deg": float(errors.mean()),
        "angular_error_deg_median": float(np.median(errors)),
        "mean_gaze_baseline_deg": float(baseline.mean()),
        "num_images": int(errors.size),
    }


METHOD = Method(init=init, train_step=train_step, eval_step=eval_step, evaluate=evaluate)
