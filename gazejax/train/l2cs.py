"""Training L2CS-Net as SynthGaze's gaze judge (L2CS paper Sec. 3; reference notes Sec. 1).

Per angle: cross-entropy over bins + alpha * MSE of the softmax expectation
(``gazejax.losses.gaze.l2cs_loss``); pitch and yaw losses are summed. Labels
are the camera-frame ``gaze`` of each record; L2CS's angle signs equal ours
(``gazejax.geometry.from_l2cs``), so a label in L2CS degrees is just
``degrees(gaze)`` per angle.

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
from gazejax.geometry import angular_error
from gazejax.losses.gaze import l2cs_loss
from gazejax.models.l2cs import BINNINGS, L2CS, logits_to_pitchyaw
from gazejax.nn.image_input import resize_square
from gazejax.train.method import Method, TrainState


def model(config):
    return L2CS(depth=config.model.depth, num_bins=BINNINGS[config.model.binning].num_bins)


def _optimizer(config):
    return optax.adam(config.optim.lr)


def _inputs(config, images):
    return resize_square(images, config.model.input_size, antialias=True)


def init(config, key, batch):
    variables = model(config).init(key, _inputs(config, batch["image"][:1]))
    params = variables["params"]
    return TrainState(
        step=jnp.zeros((), jnp.int32),
        params=params,
        opt_state=_optimizer(config).init(params),
        batch_stats=variables["batch_stats"],
        extra={"gaze_sum": jnp.zeros(2), "gaze_count": jnp.zeros(())},
    )


def train_step(config, state, batch, key):
    del key  # no randomness: no dropout or augmentation
    binning = BINNINGS[config.model.binning]
    target_deg = jnp.degrees(batch["gaze"])  # (N, 2) pitch, yaw
    images = _inputs(config, batch["image"])

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
        "gaze_sum": state.extra["gaze_sum"] + jnp.sum(batch["gaze"], axis=0),
        "gaze_count": state.extra["gaze_count"] + batch["gaze"].shape[0],
    }
    new_state = state.replace(
        params=optax.apply_updates(state.params, updates), opt_state=opt_state,
        batch_stats=batch_stats, extra=extra,
    )
    metrics = {
        "loss": loss, "loss_pitch": pitch, "loss_yaw": yaw,
        "angular_error_deg": jnp.mean(angular_error(predicted, batch["gaze"])),
    }
    return new_state, metrics


def predict(config, state, images):
    """(N, H, W, 3) in [0, 1] -> (N, 2) our (pitch, yaw) radians, inference mode."""
    logits = model(config).apply(
        {"params": state.params, "batch_stats": state.batch_stats}, _inputs(config, images)
    )
    return logits_to_pitchyaw(logits, BINNINGS[config.model.binning])


def _mean_training_gaze(state):
    return state.extra["gaze_sum"] / jnp.maximum(state.extra["gaze_count"], 1.0)


def eval_step(config, state, batch):
    errors = angular_error(predict(config, state, batch["image"]), batch["gaze"])
    baseline = angular_error(jnp.broadcast_to(_mean_training_gaze(state), batch["gaze"].shape), batch["gaze"])
    return {"angular_error_deg": jnp.mean(errors), "mean_gaze_baseline_deg": jnp.mean(baseline)}


def export(config, state, directory):
    """Writes the estimator as a ``gazejax.convert`` checkpoint (loadable with ``convert.load``)."""
    info = {
        "network": "l2cs", "arch": f"resnet{config.model.depth}", "depth": config.model.depth,
        "binning": config.model.binning, "num_bins": BINNINGS[config.model.binning].num_bins,
        "input_size": config.model.input_size,
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
        images = np.stack([r["image"] for r in records])
        gaze = np.stack([r["gaze"] for r in records])
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
