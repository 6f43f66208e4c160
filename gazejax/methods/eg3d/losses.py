"""EG3D's objectives (``StyleGAN2Loss`` of EG3D and Gaze-Corrected-EG3D).

- non-saturating logistic losses: :mod:`gazejax.losses.adversarial`;
- :func:`dual_r1_penalty`: R1 over both discriminator inputs, image and raw image;
- :func:`density_regularization`: L1 between densities at random points and at
  slightly perturbed copies (EG3D's ``reg_type='l1'``);
- :func:`blur_images`: the fading blur of the discriminator's image input;
- :func:`face_angles` and :func:`gaze_alignment_loss`: the gaze-face alignment
  loss of Gaze-Corrected EG3D (paper Eq. 1), differentiable into the generator.

Images are EG3D's [-1, 1] here.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np

from gazejax.geometry import camera_from_label, vector_to_pitchyaw
from gazejax.nn.stylegan2 import upfirdn2d
from gazejax.methods.eg3d.schedules import blur_taps

FACE_ANGLE_FORMULAS = ("geometric", "official")
GAZE_LOSS_FORMS = ("mse", "root")
GAZE_PREPROCESSING = ("estimator", "official")


def blur_images(images, sigma, max_sigma):
    """``(N, H, W, C)`` blurred with :func:`~gazejax.methods.eg3d.schedules.blur_taps` (EG3D ``filter2d``).

    Once the taps are a unit impulse (``floor(3 sigma) = 0``: the fade has
    ended, or nearly) the images pass through untouched, as in EG3D, and the
    filter does not run:
    ``sigma`` is traced, so a ``lax.cond`` picks the branch at run time.
    """
    taps = blur_taps(sigma, max_sigma)
    half = (taps.shape[0] - 1) // 2
    if half == 0:
        return images

    def blur(images):
        # separable, as filter2d applies a 1-D filter: rows, then columns
        images = upfirdn2d(images, taps[None, :], padding=(half, half, 0, 0))
        return upfirdn2d(images, taps[:, None], padding=(0, 0, half, half))

    return jax.lax.cond(jnp.floor(3 * sigma) > 0, blur, lambda x: x, images)


def dual_r1_penalty(d_fn, image, image_raw):
    """Per-sample ``||dD/d image||^2 + ||dD/d image_raw||^2`` ``(N,)`` (multiply by gamma/2)."""
    grads = jax.grad(lambda a, b: jnp.sum(d_fn(a, b)), argnums=(0, 1))(image, image_raw)
    return sum(jnp.sum(jnp.square(g.reshape(g.shape[0], -1)), axis=-1) for g in grads)


def density_regularization(sigma_fn, key, batch_size, num_points, perturbation):
    """EG3D's density regulariser: ``mean |sigma(x) - sigma(x + eps)|``, x ~ U[-1, 1]^3, eps ~ N(0, p^2).

    Args:
      sigma_fn: ``points (N, M, 3) -> raw sigma (N, M, 1)``.
      num_points: points per sample (EG3D: 1000).
      perturbation: std of the perturbation (EG3D ``density_reg_p_dist``: 0.004).
    """
    k_points, k_noise = jax.random.split(key)
    points = jax.random.uniform(k_points, (batch_size, num_points, 3), minval=-1.0, maxval=1.0)
    perturbed = points + jax.random.normal(k_noise, points.shape) * perturbation
    sigma = sigma_fn(jnp.concatenate([points, perturbed], axis=1))
    return jnp.mean(jnp.abs(sigma[:, :num_points] - sigma[:, num_points:]))


def face_angles(labels, formula="geometric"):
    """Gaze (pitch, yaw) ``(N, 2)`` of eyes that look where the face looks, seen from camera ``labels``.

    ``'geometric'``: the face's forward direction (world +z) in the camera
    frame, as our (pitch, yaw) (ETH-XGaze convention: 0 = straight into the
    camera; pitch > 0 up). ``'official'``: Gaze-Corrected-EG3D's
    ``gaze_utils/utils.py``, ``yaw = atan2(-R02, sqrt(R00^2 + R10^2))``,
    ``pitch = (pi / 2) O_y / |O|``, both rounded to 2 decimals; its yaw is
    close to the geometric one (0.43 vs 0.435 rad for the GFAS side views),
    its pitch has the opposite sign and another scale (the GFAS views, 0.2
    rad above the face: +0.20 where the geometric pitch is -0.12 to -0.14).
    """
    if formula not in FACE_ANGLE_FORMULAS:
        raise ValueError(f"face angle formula must be one of {FACE_ANGLE_FORMULAS}, got {formula!r}")
    cam2world, _ = camera_from_label(labels)
    rotation, origin = cam2world[..., :3, :3], cam2world[..., :3, 3]
    if formula == "geometric":
        forward = jnp.broadcast_to(jnp.array([0.0, 0.0, 1.0]), origin.shape)
        return vector_to_pitchyaw(jnp.einsum("...ji,...j->...i", rotation, forward))
    yaw = jnp.arctan2(-rotation[..., 0, 2], jnp.sqrt(rotation[..., 0, 0] ** 2 + rotation[..., 1, 0] ** 2))
    pitch = (math.pi / 2) * origin[..., 1] / jnp.linalg.norm(origin, axis=-1)
    return jnp.round(jnp.stack([pitch, yaw], axis=-1), 2)


def official_estimator_input(images):
    """Gaze-Corrected-EG3D's image preparation before its 448^2 resize: ``clip(x*127.5 + 128, 0, 255) / 255``."""
    return jnp.clip(images * 127.5 + 128.0, 0.0, 255.0) / 255.0


def estimator_input(images, info, preprocessing):
    """Generated ``images`` in [-1, 1] -> (estimator input in [0, 1], the estimator info to apply with it).

    ``"official"``: the whole frame resized to the estimator's input, no crop, no antialias
    (Gaze-Corrected-EG3D); ``"estimator"``: the estimator's own crop and resize.
    """
    if preprocessing == "official":
        return official_estimator_input(images), dict(info, crop=None, antialias=False)
    return jnp.clip((images + 1) / 2, 0.0, 1.0), info


def gaze_alignment_loss(predicted, target, form="mse"):
    """Eq. 1 between estimated eye gaze and face angles, ``(N, 2)`` radians each.

    ``'mse'``: the code's ``F.mse_loss``, mean over samples and both angles
    (rad^2). ``'root'``: the paper's ``mean_i sqrt((dp_i)^2 + (dy_i)^2)``
    (radians; a tiny epsilon keeps the gradient finite at 0).
    """
    if form not in GAZE_LOSS_FORMS:
        raise ValueError(f"gaze loss form must be one of {GAZE_LOSS_FORMS}, got {form!r}")
    squared = jnp.square(predicted - target)
    if form == "mse":
        return jnp.mean(squared)
    return jnp.mean(jnp.sqrt(jnp.sum(squared, axis=-1) + np.float32(1e-12)))
