"""Gaze losses: L2CS training, L2CS gaze alignment, functional angular loss.

Angles are our (pitch, yaw) radians unless a name says degrees.
"""

import jax
import jax.numpy as jnp

from gazejax.geometry import angular_error
from gazejax.models.l2cs import INPUT_SIZE, bin_index, expected_angle_deg, logits_to_pitchyaw
from gazejax.nn.image_input import resize_square


def l2cs_loss(logits, target_deg, binning, alpha=1.0):
    """L2CS-Net training loss for one angle (paper Eq. 3): CE(bins) + alpha * MSE(expectation).

    Args:
      logits: (N, num_bins) of one head.
      target_deg: (N,) the matching angle in L2CS degrees.
      binning: ``gazejax.models.l2cs.Binning``.
      alpha: regression weight (reference default 1).
    Returns: scalar; sum the pitch and yaw losses.
    """
    labels = bin_index(target_deg, binning)
    log_probs = jax.nn.log_softmax(logits, axis=-1)
    cross_entropy = -jnp.mean(jnp.take_along_axis(log_probs, labels[:, None], axis=-1))
    mse = jnp.mean((expected_angle_deg(logits, binning) - target_deg) ** 2)
    return cross_entropy + alpha * mse


def l2cs_alignment_loss(l2cs, images, target_pitchyaw, binning, input_size=INPUT_SIZE):
    """Gaze-corrected EG3D's gaze loss (paper Eq. 1), made differentiable.

    MSE in rad^2, mean over the batch and both angles, between the L2CS
    softmax expectation on ``images`` and the target gaze, as the reference
    code's ``calculate_gaze_loss`` computes it (Eq. 1 as printed takes a
    square root per sample; docs/equations.md). The reference detaches the
    expectation (``softmax(...).data``) so its loss has no gradient; here it
    flows back into ``images``.

    Args:
      l2cs: callable (N, S, S, 3) in [0, 1] -> L2CS logits dict.
      images: (N, H, W, 3) in [0, 1]; resized to ``input_size`` bilinearly
        without antialias, as the reference does.
      target_pitchyaw: (N, 2) our convention.
      binning: the L2CS network's ``Binning``.
    Returns: scalar.
    """
    predicted = logits_to_pitchyaw(l2cs(resize_square(images, input_size)), binning)
    return jnp.mean((predicted - target_pitchyaw) ** 2)


def functional_angular_loss(estimator, images, target_images):
    """GazeNeRF's functional loss (paper Eq. 9-11): mean gaze angle in degrees between
    est(images) and est(target_images), the target branch detached.

    Args:
      estimator: callable (N, H, W, 3) in [0, 1] -> {'gaze': (N, 2), ...} that
        resizes to its own input size (e.g. a frozen ``GazeNeRFEstimator``
        through ``gazejax.pretrained.gaze_estimator.estimate_angles``); its angle
        convention does not matter, both sides use it.
      images, target_images: (N, H, W, 3) in [0, 1].
    Returns: scalar, degrees.
    """
    predicted = estimator(images)["gaze"]
    target = jax.lax.stop_gradient(estimator(target_images)["gaze"])
    return jnp.mean(angular_error(predicted, target))

