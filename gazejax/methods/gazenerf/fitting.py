"""GazeNeRF test-time fitting and redirection of a new subject.

Fitting a new subject, as GazeNeRF's published ``evaluate_metrics.py`` does:
starting from the trained network, fine-tune EVERYTHING -- network, latent
offsets and camera delta -- on one image for ``fit.num_steps`` (75) Adam
steps at ``fit.lr`` / ``fit.slow_lr`` with the training losses plus the functional loss
(``fit.angular_weight``), then render in test mode with the target's gaze,
camera and illumination. The whole loop is one ``lax.scan`` under ``jit``
and is ``vmap``-ed over subjects, each with its own copy of the network.
:func:`fit_and_redirect` is the one compiled fit-and-render: the evaluation
protocol and ``gazejax redirect`` both call it. The losses are in
``docs/equations.md``.

The published code starts the offsets from its training slot 0 (a quirk);
here they start from zero.
"""

import functools

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax

from gazejax.methods.gazenerf import latent
from gazejax.methods.gazenerf import training as method


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

    See :func:`fit` and :func:`redirect` for the arguments. ``target_gaze``
    is ``(B, 2)`` (one target per subject, the evaluation protocol) or
    ``(B, G, 2)`` (each fitted subject rendered at G gazes, ``gazejax
    redirect``; then ``target_camera`` and ``target_illumination`` are the
    input's). Validates shapes in Python, then runs one compiled function.

    Returns:
      (images {'face', 'eyes', 'merged'} ``(B, R, R, 3)`` or ``(B, G, R, R, 3)``,
      fit losses ``(B, steps)``).
    """
    method.check_record(config, records)
    b = records["image"].shape[0]
    shape = np.shape(target_gaze)
    if len(shape) not in (2, 3) or shape[0] != b or shape[-1] != 2:
        raise ValueError(f"target_gaze must be ({b}, 2) or ({b}, G, 2) (pitch, yaw) radians, got {shape}")
    if len(shape) == 3 and (target_camera is not None or target_illumination is not None):
        raise ValueError("several gazes per subject are rendered from the input's camera and lighting")
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
    if target_gaze.ndim == 2:
        return redirect(config, fitted, records, target_gaze, target_camera, target_illumination), losses

    def at_gaze(gaze):  # (B, 2): every subject at its g-th gaze
        return redirect(config, fitted, records, gaze)

    images = jax.vmap(at_gaze, in_axes=1, out_axes=1)(target_gaze)
    return images, losses
