"""Bias, activation, gain and clamp in one step (StyleGAN2's ``bias_act``)."""

import math

import jax
import jax.numpy as jnp

# name -> (function, default gain). The gains keep activations at unit
# variance for unit-variance inputs (He et al. 2015), as StyleGAN2 assumes.
ACTIVATIONS = {
    "linear": (lambda x: x, 1.0),
    "relu": (jax.nn.relu, math.sqrt(2.0)),
    "lrelu": (lambda x: jax.nn.leaky_relu(x, 0.2), math.sqrt(2.0)),
}


def bias_act(x, bias=None, act="linear", gain=None, clamp=None):
    """``clamp(act(x + bias) * gain, -clamp, clamp)``.

    Args:
      x: ``(..., C)`` activations (channels last).
      bias: ``(C,)`` or None.
      act: one of ``ACTIVATIONS``.
      gain: multiplier after the activation; None = the activation's default gain.
      clamp: clamp magnitude after the gain, or None for no clamping.

    Returns:
      array shaped like ``x``.
    """
    fn, default_gain = ACTIVATIONS[act]
    if bias is not None:
        x = x + bias.astype(x.dtype)  # a float32 bias must not promote bfloat16 activations
    x = fn(x)
    gain = default_gain if gain is None else gain
    if gain != 1:
        x = x * gain
    if clamp is not None:
        x = jnp.clip(x, -clamp, clamp)
    return x
