"""Label-aware image augmentation for gaze estimators, jit-able and on-device.

A horizontal mirror of a camera-frame image negates the x axis of every
direction, so a gaze (pitch, yaw) becomes (pitch, -yaw) (see
``gazejax.geometry.pitchyaw_to_vector``); colour jitter leaves labels alone.
"""

import jax
import jax.numpy as jnp


def random_mirror(key, images, gaze):
    """Mirrors each image left-right with probability 1/2 and negates its yaw.

    Args:
      key: PRNG key.
      images: (N, H, W, C) images.
      gaze: (N, ..., 2) camera-frame (pitch, yaw) radians: one or more
        directions per image (a gaze, a head pose, ...).
    Returns:
      (images, gaze) with the same shapes.
    """
    flip = jax.random.bernoulli(key, 0.5, (images.shape[0],))
    images = jnp.where(flip[:, None, None, None], images[:, :, ::-1], images)
    yaw_sign = jnp.where(flip, -1.0, 1.0).reshape((-1,) + (1,) * (gaze.ndim - 2))
    return images, gaze.at[..., 1].multiply(yaw_sign)


def random_colour(key, images, brightness, contrast, saturation):
    """Per-image brightness, contrast and saturation jitter of images in [0, 1].

    Each factor is drawn uniformly from ``[1 - s, 1 + s]``; brightness scales
    the image, contrast scales around its mean grey, saturation around each
    pixel's grey. The result is clipped to [0, 1].

    Args:
      key: PRNG key.
      images: (N, H, W, 3) in [0, 1].
      brightness, contrast, saturation: jitter strengths (0 turns one off).
    Returns:
      (N, H, W, 3) in [0, 1].
    """
    n = images.shape[0]
    k_b, k_c, k_s = jax.random.split(key, 3)

    def factor(k, strength):
        return jax.random.uniform(k, (n, 1, 1, 1), images.dtype, 1.0 - strength, 1.0 + strength)

    grey = jnp.mean(images, axis=-1, keepdims=True)
    images = grey + factor(k_s, saturation) * (images - grey)
    mean = jnp.mean(images, axis=(1, 2, 3), keepdims=True)
    images = mean + factor(k_c, contrast) * (images - mean)
    return jnp.clip(images * factor(k_b, brightness), 0.0, 1.0)
