"""Training L2CS-Net as SynthGaze's gaze judge (L2CS paper Sec. 3; its code's ``train.py``).

Per angle: cross-entropy over bins + alpha * MSE of the softmax expectation
(``gazejax.losses.gaze.l2cs_loss``); pitch and yaw losses are summed. Labels
are the camera-frame ``gaze`` of each record; L2CS's angle signs equal ours
(``gazejax.geometry.from_l2cs``), so a label in L2CS degrees is just
``degrees(gaze)`` per angle. With ``model.head_pose`` the network also has
head-pose heads, trained the same way on the records' ``head_pose`` and added
to the loss. Training images may be mirrored (yaw negated) and
colour-jittered (``config.augment``, ``gazejax.data.augment``).

Evaluation: :mod:`gazejax.methods.l2cs.evaluation`; turning a trained run
into a judge other methods load: :mod:`gazejax.methods.l2cs.export`.
"""

import jax
import jax.numpy as jnp
import optax

from gazejax.data.augment import random_colour, random_mirror
from gazejax.geometry import angular_error
from gazejax.losses.gaze import l2cs_loss
from gazejax.models.l2cs import BINNINGS, L2CS, logits_to_angles, mirror_averaged
from gazejax.nn.image_input import crop_and_resize
from gazejax.train.method import TrainState
from gazejax.train.precision import compute_dtype


def model(config):
    return L2CS(depth=config.model.depth, num_bins=BINNINGS[config.model.binning].num_bins,
                head_pose=config.model.get("head_pose", False), width=config.model.get("width", 64),
                dtype=compute_dtype(config))


def _optimizer(config):
    o = config.optim
    if o.schedule == "cosine":
        lr = optax.warmup_cosine_decay_schedule(0.0, o.lr, o.warmup_steps, max(config.num_steps, o.warmup_steps + 1))
    elif o.schedule == "constant":
        lr = o.lr
    else:
        raise ValueError(f"optim.schedule must be 'constant' or 'cosine', got {o.schedule!r}")
    return optax.adamw(lr, weight_decay=o.weight_decay)


def _augment(config, key, images, labels):
    """Mirror (every label's yaw negated) and colour jitter, as ``config.augment`` asks.

    ``labels``: dict of (N, 2) camera-frame (pitch, yaw) radians.
    """
    a = config.augment
    k_mirror, k_colour = jax.random.split(key)
    if a.mirror:
        names = sorted(labels)
        images, stacked = random_mirror(k_mirror, images, jnp.stack([labels[k] for k in names], 1))
        labels = {k: stacked[:, i] for i, k in enumerate(names)}
    if a.brightness or a.contrast or a.saturation:
        images = random_colour(k_colour, images, a.brightness, a.contrast, a.saturation)
    return images, labels


def _inputs(config, images):
    return crop_and_resize(images, config.model.input_size, config.model.get("crop"), antialias=True)


def images_and_labels(config, batch):
    """The estimator's training examples in a batch of records, by ``model.inputs``.

    ``'face'``: ``batch['image']`` (N, H, W, 3) with ``{'gaze': batch['gaze']}``
    (N, 2), plus ``'head': batch['head_pose']`` with ``model.head_pose``.
    ``'eye_patches'``: both eye patches as separate examples (2N, P, P, 3), the
    right ones already mirrored by SynthGaze, with ``{'gaze'}`` (2N, 2).
    """
    if config.model.inputs == "face":
        labels = {"gaze": batch["gaze"]}
        if config.model.get("head_pose"):
            labels["head"] = batch["head_pose"]
        return batch["image"], labels
    if config.model.inputs == "eye_patches":
        if config.model.get("head_pose"):
            raise ValueError("model.head_pose needs model.inputs='face': eye patches carry no head pose")
        eyes = ("left", "right")
        return (jnp.concatenate([batch[f"{e}_eye_patch"] for e in eyes]),
                {"gaze": jnp.concatenate([batch[f"{e}_eye_patch_gaze"] for e in eyes])})
    raise ValueError(f"model.inputs must be 'face' or 'eye_patches', got {config.model.inputs!r}")


def init(config, key, batch):
    variables = model(config).init(key, _inputs(config, images_and_labels(config, batch)[0][:1]))
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
    images, labels = images_and_labels(config, batch)
    images, augmented = _augment(config, key, images, labels)
    images = _inputs(config, images)

    def loss_fn(params):
        logits, updates = model(config).apply(
            {"params": params, "batch_stats": state.batch_stats}, images, train=True,
            mutable=["batch_stats"],
        )
        terms = {}
        for name, prefix in (("gaze", ""), ("head", "head_")):
            if name in augmented:
                target_deg = jnp.degrees(augmented[name])  # (N, 2) pitch, yaw
                for i, angle in enumerate(("pitch", "yaw")):
                    terms[f"loss_{prefix}{angle}"] = l2cs_loss(
                        logits[prefix + angle], target_deg[:, i], binning, config.loss.alpha)
        return sum(terms.values()), (logits, updates["batch_stats"], terms)

    (loss, (logits, batch_stats, terms)), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.params)
    updates, opt_state = _optimizer(config).update(grads, state.opt_state, state.params)
    predicted = logits_to_angles(logits, binning)
    gaze = labels["gaze"]
    extra = {
        "gaze_sum": state.extra["gaze_sum"] + jnp.sum(gaze, axis=0),
        "gaze_count": state.extra["gaze_count"] + gaze.shape[0],
    }
    new_state = state.replace(
        params=optax.apply_updates(state.params, updates), opt_state=opt_state,
        batch_stats=batch_stats, extra=extra,
    )
    metrics = {"loss": loss, **terms, **_errors(predicted, augmented)}
    return new_state, metrics


def _errors(predicted, labels):
    """Mean angular errors (degrees): ``angular_error_deg`` (gaze)[, ``head_error_deg``]."""
    errors = {"angular_error_deg": jnp.mean(angular_error(predicted["gaze"], labels["gaze"]))}
    if "head" in labels:
        errors["head_error_deg"] = jnp.mean(angular_error(predicted["head"], labels["head"]))
    return errors


def predict(config, state, images):
    """(N, H, W, 3) in [0, 1] -> ``{'gaze'[, 'head']}`` (N, 2) our (pitch, yaw) radians, inference mode.

    Averaged with the mirrored image's prediction when ``model.mirror_average``.
    """
    def once(x):
        logits = model(config).apply({"params": state.params, "batch_stats": state.batch_stats}, x)
        return logits_to_angles(logits, BINNINGS[config.model.binning])

    images = _inputs(config, images)
    return mirror_averaged(once, images) if config.model.mirror_average else once(images)


def mean_training_gaze(state):
    return state.extra["gaze_sum"] / jnp.maximum(state.extra["gaze_count"], 1.0)


def eval_step(config, state, batch):
    images, labels = images_and_labels(config, batch)
    gaze = labels["gaze"]
    baseline = angular_error(jnp.broadcast_to(mean_training_gaze(state), gaze.shape), gaze)
    return {**_errors(predict(config, state, images), labels), "mean_gaze_baseline_deg": jnp.mean(baseline)}
