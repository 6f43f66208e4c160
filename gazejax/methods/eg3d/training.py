"""EG3D training on the generic trainer (EG3D §4, its ``training_loop.py`` and ``loss.py``).

One trainer step is one EG3D batch with its phases in EG3D's order:
``Gmain`` (non-saturating loss of the generated images, plus the gaze-face
alignment term when ``loss.gaze_weight > 0``), ``Greg`` (density
regularisation, every ``loss.g_reg_interval`` steps), ``Dmain`` (fakes from
the updated generator, which also moves ``w_avg``; reals), ``Dreg`` (R1 on
image and raw image, every ``loss.d_reg_interval`` steps); then the
generator EMA. Each phase is its own Adam step, with EG3D's lazy-regulariser
correction of the learning rate and betas.

What changes with progress is a pure function of the step
(:mod:`.schedules`): the blur of D's input, the pose-conditioning swap
probability, the EMA decay (traced), and the neural rendering resolution and
which regularisers run (the step's ``phase``, one compiled step each). A
resumed run continues them exactly.

Batches are records with ``image`` (B, H, W, 3) in [0, 1] and ``camera``
(B, 25) EG3D labels (SynthGaze, or any dataset with those keys). Real images
are resized to the generator's output resolution when they differ. The
generating cameras are the batch's labels in a random order (EG3D draws
labels of random dataset images).
"""

import jax
import jax.numpy as jnp
import optax

from gazejax.convert import load_frozen
from gazejax.losses.adversarial import nonsaturating_d, nonsaturating_g
from gazejax.methods.eg3d import losses, schedules
from gazejax.methods.eg3d.discriminator import DualDiscriminator, filtered_resize
from gazejax.methods.eg3d.generator import CAMERA_LABEL_SIZE, TriPlaneGenerator
from gazejax.methods.eg3d.resume import resumed_variables
from gazejax.pretrained.gaze_estimator import estimate_angles
from gazejax.train.method import TrainState
from gazejax.train.precision import compute_dtype

GROUPS = ("generator", "discriminator")
# output side of each super-resolution variant
SR_OUTPUT = {"8XDC": 512, "4X": 256, "2X": 128}
METRICS = ("loss", "g_adv", "g_gaze", "g_density", "d_loss", "d_r1", "blur_sigma", "swap_probability",
           "ema_beta", "neural_resolution")


def build_models(config, neural_rendering_resolution=None):
    """(TriPlaneGenerator, DualDiscriminator) from ``config.model``."""
    m = config.model
    generator = TriPlaneGenerator(
        backbone=dict(z_dim=m.z_dim, c_dim=CAMERA_LABEL_SIZE, w_dim=m.w_dim, mapping_layers=m.mapping_layers,
                      resolution=m.plane_resolution, plane_channels=m.plane_channels,
                      channel_base=m.channel_base, channel_max=m.channel_max),
        decoder_hidden=m.decoder_hidden, sr_variant=m.sr_variant,
        sr_widths=tuple(m.sr_widths) if m.sr_widths else None,
        neural_rendering_resolution=neural_rendering_resolution or config.schedule.neural_rendering_resolution_initial,
        ray_start=m.ray_start, ray_end=m.ray_end, n_coarse=m.n_coarse, n_fine=m.n_fine, box_warp=m.box_warp,
        chunk_rays=m.chunk_rays or None, c_scale=m.c_scale, dtype=compute_dtype(config),
    )
    discriminator = DualDiscriminator(
        SR_OUTPUT[m.sr_variant], CAMERA_LABEL_SIZE, m.d_channel_base, m.d_channel_max, m.d_conv_clamp,
        mapping_layers=m.d_mapping_layers, mbstd_group_size=m.mbstd_group_size, dtype=compute_dtype(config),
    )
    return generator, discriminator


def step_phase(config, step):
    """(neural rendering resolution, density regularisation?, R1?) of ``step``."""
    return (schedules.neural_rendering_resolution(config, step), *schedules.regularization_phase(config, step))


def optimizers(config):
    """{group: Adam} with EG3D's lazy-regularisation correction of lr and betas."""
    o, l = config.optim, config.loss
    # EG3D drops the generator's lazy regulariser, and so its correction, without density regularisation
    g_interval = l.g_reg_interval if l.density_reg > 0 else 0
    out = {}
    for group, lr, interval in (("generator", o.g_lr, g_interval), ("discriminator", o.d_lr, l.d_reg_interval)):
        lr, (b1, b2) = schedules.lazy_adam_settings(lr, (o.b1, o.b2), interval)
        out[group] = optax.adam(lr, b1=b1, b2=b2, eps=o.eps)
    return out


def check_batch(config, batch):
    """Raises ValueError (one line) when ``batch`` cannot train EG3D; call before jit."""
    for key in ("image", "camera"):
        if key not in batch:
            raise ValueError(f"EG3D trains on records with 'image' and 'camera' (25-number EG3D labels); no {key!r}")
    if batch["camera"].ndim != 2 or batch["camera"].shape[-1] != CAMERA_LABEL_SIZE:
        raise ValueError(f"camera labels must be (B, 25) EG3D labels, got {tuple(batch['camera'].shape)}")
    if config.batch_size % min(config.model.mbstd_group_size, config.batch_size):
        raise ValueError(f"batch_size {config.batch_size} is not divisible by model.mbstd_group_size "
                         f"{config.model.mbstd_group_size}")
    if config.loss.gaze_weight > 0 and not config.loss.gaze_estimator_checkpoint:
        raise ValueError("loss.gaze_weight > 0 needs loss.gaze_estimator_checkpoint (a converted L2CS-Net or judge)")


def bit_generator_key(key):
    """The same randomness source as an ``'rbg'`` key (XLA's RngBitGenerator).

    XLA:CPU compiles threefry draws slowly: initialising the tiny dual
    discriminator took 22 s to compile with threefry, 8 s with this. The
    key's bits seed it, so runs stay reproducible and resume exactly.
    """
    data = jax.random.key_data(key).reshape(-1)
    return jax.random.wrap_key_data(jnp.concatenate([data, data ^ jnp.uint32(0x9E3779B9)]), impl="rbg")


def check_resumed_shapes(snapshot, network, configured, resumed):
    """ValueError naming the first variable whose presence or shape differs between config and snapshot.

    A converted snapshot describes its own architecture; training it under a
    config of another size would fail deep inside the first step.
    """
    want, got = _leaf_shapes(configured), _leaf_shapes(resumed)
    for key in sorted(want.keys() | got.keys()):
        if want.get(key) != got.get(key):
            raise ValueError(f"model.resume {snapshot}: {network} {key} is {got.get(key, 'absent')} in the "
                             f"snapshot but {want.get(key, 'absent')} under config.model")


def _leaf_shapes(tree):
    """``{'collection/module/.../name': shape}`` of a variables tree."""
    return {"/".join(str(getattr(k, "key", k)) for k in path): tuple(leaf.shape)
            for path, leaf in jax.tree_util.tree_leaves_with_path(tree)}


def _real_images(config, batch):
    image = batch["image"].astype(jnp.float32) * 2 - 1
    size = SR_OUTPUT[config.model.sr_variant]
    return image if image.shape[1] == size else filtered_resize(image, size)


def init(config, key, batch):
    check_batch(config, batch)
    generator, discriminator = build_models(config)
    k_g, k_noise, k_d = jax.random.split(bit_generator_key(key), 3)
    labels = batch["camera"]
    z = jnp.zeros((labels.shape[0], config.model.z_dim))
    g_vars = generator.init({"params": k_g, "noise": k_noise}, z, labels, labels)
    r = generator.neural_rendering_resolution
    raw = jnp.zeros((labels.shape[0], r, r, 3))  # D's weights do not depend on the raw size
    d_vars = discriminator.init(k_d, {"image": _real_images(config, batch), "image_raw": raw}, labels)
    if config.model.resume:
        resumed_g, resumed_d = resumed_variables(config.model.resume)
        check_resumed_shapes(config.model.resume, "generator", g_vars, resumed_g)
        g_vars = resumed_g
        if resumed_d is not None:
            check_resumed_shapes(config.model.resume, "discriminator", d_vars, resumed_d)
            d_vars = resumed_d
    params = {"generator": g_vars["params"], "discriminator": d_vars["params"]}
    extra = {"buffers": {k: v for k, v in g_vars.items() if k != "params"}}
    if config.loss.gaze_weight > 0:
        extra["estimator"] = load_frozen(config.loss.gaze_estimator_checkpoint)[1]
    txs = optimizers(config)
    return TrainState(step=jnp.zeros((), jnp.int32), params=params,
                      opt_state={g: txs[g].init(params[g]) for g in GROUPS},
                      ema_params=params["generator"], extra=extra)


def _gaze_term(config, extra, images, render_labels):
    """``(loss, estimated gaze)`` of the gaze-face alignment term (Eq. 1) on generated ``images`` in [-1, 1]."""
    l = config.loss
    module, _, info = load_frozen(l.gaze_estimator_checkpoint)
    variables = jax.lax.stop_gradient(extra["estimator"])
    x, info = losses.estimator_input(images, info, l.gaze_preprocessing)
    predicted = estimate_angles(module, variables, info, x)["gaze"]
    target = losses.face_angles(render_labels, l.face_angle_formula)
    return losses.gaze_alignment_loss(predicted, target, l.gaze_loss_form), predicted


def _adam_step(tx, params, opt_state, grads):
    updates, opt_state = tx.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state


def train_step(config, state, batch, key, phase):
    """One EG3D batch; ``phase`` is :func:`step_phase` of this step (static)."""
    resolution, g_reg, d_reg = phase
    generator, discriminator = build_models(config, resolution)
    l, s = config.loss, config.schedule
    txs = optimizers(config)
    step = state.step
    keys = iter(jax.random.split(bit_generator_key(key), 12))
    real = _real_images(config, batch)
    real_c = batch["camera"].astype(jnp.float32)
    n = real_c.shape[0]
    gen_c = real_c[jax.random.permutation(next(keys), n)]
    blur = schedules.blur_sigma(config, step)
    swap = schedules.swap_probability(config, step)
    real_raw = filtered_resize(real, resolution)
    if s.blur_raw_target:
        real_raw = losses.blur_images(real_raw, blur, s.blur_init_sigma)
    buffers = state.extra["buffers"]

    def conditioning(c, draw_shape, k):
        # generator pose conditioning: another sample's camera with probability `swap`
        return jnp.where(jax.random.uniform(k, draw_shape) < swap, jnp.roll(c, 1, axis=0), c)

    def run_g(g_params, variables_buffers, k, update_emas):
        k_z, k_swap, k_noise, k_render = jax.random.split(k, 4)
        z = jax.random.normal(k_z, (n, config.model.z_dim))
        out, mutated = generator.apply(
            {"params": g_params, **variables_buffers}, z, conditioning(gen_c, (n, 1), k_swap), gen_c, k_render,
            update_emas=update_emas, rngs={"noise": k_noise}, mutable=["averages"])
        return out, mutated["averages"]

    def run_d(d_params, images, c):
        images = dict(images, image=losses.blur_images(images["image"], blur, s.blur_init_sigma))
        return discriminator.apply({"params": d_params}, images, c)[:, 0]

    zero = jnp.zeros(())
    metrics = dict(g_gaze=zero, g_density=zero, d_r1=zero)
    params, opt_state = dict(state.params), dict(state.opt_state)

    # Gmain
    k_gmain = next(keys)

    def g_main_loss(g_params):
        fake, _ = run_g(g_params, buffers, k_gmain, False)
        adv = nonsaturating_g(run_d(params["discriminator"], {k: fake[k] for k in ("image", "image_raw")}, gen_c))
        gaze = zero
        if l.gaze_weight > 0:
            gaze = _gaze_term(config, state.extra, fake["image"], gen_c)[0]
        return adv + l.gaze_weight * gaze, (adv, gaze)

    (_, (adv, gaze)), grads = jax.value_and_grad(g_main_loss, has_aux=True)(params["generator"])
    params["generator"], opt_state["generator"] = _adam_step(txs["generator"], params["generator"],
                                                             opt_state["generator"], grads)
    metrics.update(g_adv=adv, g_gaze=gaze)

    # Greg
    if g_reg:
        k_z, k_swap, k_noise, k_points = jax.random.split(next(keys), 4)

        def density_loss(g_params):
            variables = {"params": g_params, **buffers}
            z = jax.random.normal(k_z, (n, config.model.z_dim))
            # EG3D draws one swap decision for the whole batch here
            ws = generator.apply(variables, z, conditioning(gen_c, (), k_swap), method=generator.mapping)
            sigma_fn = lambda points: generator.apply(variables, points, ws, method=generator.sigma,  # noqa: E731
                                                      rngs={"noise": k_noise})
            return losses.density_regularization(sigma_fn, k_points, n, l.density_reg_points, l.density_reg_p_dist)

        density, grads = jax.value_and_grad(density_loss)(params["generator"])
        grads = jax.tree.map(lambda g: g * l.density_reg * l.g_reg_interval, grads)
        params["generator"], opt_state["generator"] = _adam_step(txs["generator"], params["generator"],
                                                                 opt_state["generator"], grads)
        metrics["g_density"] = density

    # Dmain: fakes of the updated generator, which also move w_avg
    fake, averages = run_g(params["generator"], buffers, next(keys), True)
    fake = jax.lax.stop_gradient({k: fake[k] for k in ("image", "image_raw")})
    buffers = dict(buffers, averages=averages)

    def d_main_loss(d_params):
        return nonsaturating_d(run_d(d_params, {"image": real, "image_raw": real_raw}, real_c),
                               run_d(d_params, fake, gen_c))

    d_loss, grads = jax.value_and_grad(d_main_loss)(params["discriminator"])
    params["discriminator"], opt_state["discriminator"] = _adam_step(
        txs["discriminator"], params["discriminator"], opt_state["discriminator"], grads)
    metrics["d_loss"] = d_loss

    # Dreg
    if d_reg:
        def r1_loss(d_params):
            d_fn = lambda image, raw: run_d(d_params, {"image": image, "image_raw": raw}, real_c)  # noqa: E731
            return jnp.mean(losses.dual_r1_penalty(d_fn, real, real_raw)) * (l.r1_gamma / 2)

        r1, grads = jax.value_and_grad(r1_loss)(params["discriminator"])
        grads = jax.tree.map(lambda g: g * l.d_reg_interval, grads)
        params["discriminator"], opt_state["discriminator"] = _adam_step(
            txs["discriminator"], params["discriminator"], opt_state["discriminator"], grads)
        metrics["d_r1"] = r1

    beta = schedules.ema_beta(config, step)
    ema = jax.tree.map(lambda p, e: p + beta * (e - p), params["generator"], state.ema_params)
    metrics.update(loss=metrics["g_adv"] + metrics["d_loss"], blur_sigma=blur, swap_probability=swap, ema_beta=beta,
                   neural_resolution=jnp.asarray(resolution, jnp.float32))
    new_state = state.replace(params=params, opt_state=opt_state, ema_params=ema,
                              extra=dict(state.extra, buffers=buffers))
    return new_state, {k: metrics[k] for k in METRICS}


def sample_images(config, state, batch):
    """The EMA generator from fixed latents at the batch's cameras: ``image`` and ``raw`` in [0, 1]."""
    resolution = schedules.neural_rendering_resolution(config, config.num_steps)
    generator, _ = build_models(config, resolution)
    labels = batch["camera"].astype(jnp.float32)
    z = jax.random.normal(jax.random.key(0), (labels.shape[0], config.model.z_dim))
    out = generator.apply({"params": state.ema_params, **state.extra["buffers"]}, z, labels, labels,
                          noise_mode="const")
    size = out["image"].shape[1]
    return {"real": _to_unit(_real_images(config, batch)), "image": _to_unit(out["image"]),
            "raw": _to_unit(filtered_resize(out["image_raw"], size))}


def _to_unit(images):
    return jnp.clip((images + 1) / 2, 0.0, 1.0)
