"""GazeNeRF training (assembled into ``METHOD`` by :mod:`gazejax.methods.gazenerf.method`).

Trains the network jointly with per-image latent offsets and camera deltas,
as the reference code does: Adam, constant learning rates ``optim.lr`` for
the network and identity/appearance offsets and ``optim.slow_lr`` for the
expression offsets and camera deltas. Each step reconstructs the batch's
images from their own codes, gaze and camera (train-mode jitter); the loss
is :mod:`gazejax.methods.gazenerf.losses` plus the offset regulariser (paper Eq. 4).

Frozen networks (VGG16 for the perceptual loss, a gaze estimator for the
functional loss) are converted checkpoints (``gazejax convert``) named by
``loss.perceptual_checkpoint`` / ``loss.estimator_checkpoint``; their variables
ride in ``TrainState.extra`` and are never updated. Per-subject test-time
fitting is in :mod:`gazejax.methods.gazenerf.fitting`, the evaluation protocol in
:mod:`gazejax.methods.gazenerf.evaluation`.
"""

import functools

import jax
import jax.numpy as jnp
import optax

from gazejax import metrics
from gazejax.convert import frozen_network, load_frozen
from gazejax.methods.gazenerf.losses import image_losses, whiten_outside, region_masks
from gazejax.methods.gazenerf import GazeNeRF
from gazejax.methods.gazenerf import latent
from gazejax.pretrained.gaze_estimator import check_estimator, estimate_angles
from gazejax.models.perceptual import GAZENERF_LAYERS, VGGFeatures
from gazejax.train.method import TrainState
from gazejax.train.precision import compute_dtype

_MODEL_FIELDS = ("mlp_width", "mlp_depth", "num_freqs", "feature_channels", "featmap_size",
                 "renderer_blocks", "num_samples", "z_near", "z_far", "two_stream", "rotate_eyes", "chunk_rays")
_SLOW = ("expr", "delta_euler", "delta_t")  # optim.slow_lr groups


def build_model(config):
    """The :class:`GazeNeRF` described by ``config.model``."""
    # a field missing from a run saved before it existed takes the module's default
    fields = {k: config.model[k] for k in _MODEL_FIELDS if k in config.model}
    return GazeNeRF(**fields, dtype=compute_dtype(config))


def image_size(config):
    """Side of the rendered images: featmap_size * 2^renderer_blocks."""
    return config.model.featmap_size * 2**config.model.renderer_blocks


def num_slots(config):
    o = config.offsets
    return o.identities * o.frames * o.views


def check_record(config, record):
    """One-line ValueError if a batch record does not fit the config (shapes only)."""
    dims = dict(shape_code=config.model.iden_dim, expression_code=config.model.expr_dim,
                texture_code=config.model.text_dim, illumination_code=config.model.illu_dim)
    for key, dim in dims.items():
        if key not in record:
            raise ValueError(f"GazeNeRF needs record key {key!r}")
        if record[key].shape[-1] != dim:
            raise ValueError(f"{key} has {record[key].shape[-1]} numbers but config.model expects {dim} "
                             f"(set model.iden/expr/text/illu_dim to the dataset's code sizes)")
    size = image_size(config)
    if record["image"].shape[1:] != (size, size, 3):
        raise ValueError(f"images are {tuple(record['image'].shape[1:])} but the model renders "
                         f"{size}x{size} (featmap_size * 2^renderer_blocks); match data.resolution")


def optimizer(rates):
    """Adam per parameter group (constant rates, as the reference's unstepped scheduler).

    ``rates`` holds ``lr`` (network, identity and appearance offsets) and
    ``slow_lr`` (expression offsets, camera deltas): ``config.optim`` in
    training, ``config.fit`` when fitting a new subject.
    """
    def labels(params):
        offsets = {k: ("slow" if k in _SLOW else "fast") for k in params["offsets"]}
        return {"net": jax.tree.map(lambda _: "fast", params["net"]), "offsets": offsets}

    return optax.multi_transform(
        {"fast": optax.adam(rates.lr), "slow": optax.adam(rates.slow_lr)}, labels)


def frozen_variables(config):
    """{'vgg': ..., 'estimator': ...} variables of the configured frozen networks (may be empty)."""
    out = {}
    if config.loss.perceptual_checkpoint:
        out["vgg"] = load_frozen(config.loss.perceptual_checkpoint)[1]
    if config.loss.estimator_checkpoint:
        _, out["estimator"], info = load_frozen(config.loss.estimator_checkpoint)
        check_estimator(info, config.loss.estimator_checkpoint)
    return out


def loss_options(config, extra, angular_weight):
    """Keyword arguments of :func:`image_losses`: the config's options and the frozen networks in ``extra``."""
    kwargs = dict(pixel=config.loss.pixel, angular_weight=angular_weight,
                  merged_eye_weight=config.loss.get("merged_eye_weight", 0.0))
    if "vgg" in extra and config.loss.vgg_weight > 0:
        vgg = VGGFeatures(layers=GAZENERF_LAYERS, resize_to=224)
        kwargs.update(vgg=functools.partial(vgg.apply, jax.lax.stop_gradient(extra["vgg"])),
                      vgg_layers=GAZENERF_LAYERS, vgg_weights=(config.loss.vgg_weight,) * 4,
                      vgg_importance=config.loss.vgg_importance)
    if "estimator" in extra and angular_weight > 0:
        module, info = frozen_network(config.loss.estimator_checkpoint, config.loss.get("estimator_info"))
        kwargs["estimator"] = functools.partial(estimate_angles, module,
                                                jax.lax.stop_gradient(extra["estimator"]), info)
    return kwargs


def reconstruction_loss(config, params, extra, record, slots, key, angular_weight):
    """Total loss and its terms for reconstructing ``record`` (B images) from offset rows ``slots``."""
    rows = latent.gather(params["offsets"], slots)
    inputs = latent.model_inputs(record, rows, config.model.featmap_size, image_size(config))
    images = build_model(config).apply({"params": params["net"]}, *inputs, key=key)
    terms = image_losses(images, record, **loss_options(config, extra, angular_weight))
    terms["offsets"] = latent.offset_regularizer(rows, dict(config.loss.offset_weights))
    return sum(terms.values()), terms


def _records(batch):
    """Train on single records, or on both images of each redirection pair."""
    if "source" in batch:
        return jax.tree.map(lambda a, b: jnp.concatenate([a, b]), batch["source"], batch["target"])
    return batch


def init(config, key, batch):
    record = _records(batch)
    check_record(config, record)
    offsets = latent.init_offsets(num_slots(config), config.model.iden_dim,
                                  config.model.expr_dim, config.model.text_dim + config.model.illu_dim)
    rows = latent.gather(offsets, jnp.zeros(record["image"].shape[:1], jnp.int32))
    inputs = latent.model_inputs(record, rows, config.model.featmap_size, image_size(config))
    net = build_model(config).init(key, *inputs)["params"]
    params = {"net": net, "offsets": offsets}
    return TrainState(step=jnp.zeros((), jnp.int32), params=params,
                      opt_state=optimizer(config.optim).init(params), extra=frozen_variables(config))


def offset_slots(config, record):
    """Each record's row in the per-image offset tables ``(B,)`` (``config.offsets`` grid)."""
    o = config.offsets
    return latent.slot_index(record, o.identities, o.frames, o.views)


def train_step(config, state, batch, key):
    record = _records(batch)
    grad_fn = jax.value_and_grad(reconstruction_loss, argnums=1, has_aux=True)
    (loss, terms), grads = grad_fn(config, state.params, state.extra, record,
                                   offset_slots(config, record), key, config.loss.angular_weight)
    updates, opt_state = optimizer(config.optim).update(grads, state.opt_state, state.params)
    params = optax.apply_updates(state.params, updates)
    return state.replace(params=params, opt_state=opt_state), {"loss": loss, **terms}


def render_records(config, net_params, record, rows=None, **overrides):
    """Test-mode images of ``record`` (zero offsets unless ``rows`` given)."""
    if rows is None:
        b = record["image"].shape[0]
        rows = latent.gather(latent.init_offsets(1, config.model.iden_dim, config.model.expr_dim,
                                                 config.model.text_dim + config.model.illu_dim),
                             jnp.zeros((b,), jnp.int32))
    inputs = latent.model_inputs(record, rows, config.model.featmap_size, image_size(config),
                                 **overrides)
    return build_model(config).apply({"params": net_params}, *inputs)


def eval_step(config, state, batch):
    """Reconstruction of unseen records from their dataset codes, no fitting (zero offsets)."""
    record = batch["target"] if "source" in batch else batch
    images = render_records(config, state.params["net"], record)
    head = region_masks(record)[0]
    truth = whiten_outside(record["image"], head)
    return {"psnr": jnp.mean(metrics.psnr(images["merged"], truth)),
            "ssim": jnp.mean(metrics.ssim(images["merged"], truth)),
            "head_l1": image_losses(images, record)["head"]}


def sample_images(config, state, batch):
    record = jax.tree.map(lambda a: a[:4], batch["target"] if "source" in batch else batch)
    images = render_records(config, state.params["net"], record)
    return {"truth": record["image"], "merged": images["merged"], "face": images["face"],
            "eyes": images["eyes"]}
