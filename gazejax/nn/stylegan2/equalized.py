"""Equalized-learning-rate layers (Karras et al., ProGAN, ICLR 2018, §4.1).

Weights are stored as N(0, 1/lr_multiplier) draws and scaled by
``lr_multiplier / sqrt(fan_in)`` at run time, so Adam's per-parameter step is
the same for every layer. Biases are stored raw and scaled by ``lr_multiplier``.

State-dict mapping (EG3D ``networks_stylegan2.py``):

=========================  ===========================  =========================
torch key                  flax param                   conversion
=========================  ===========================  =========================
``FullyConnectedLayer``
``weight`` (O, I)          ``kernel`` (I, O)            ``w.T``
``bias`` (O,)              ``bias`` (O,)                as is
``Conv2dLayer``
``weight`` (O, I, k, k)    ``kernel`` (k, k, I, O)      ``w.transpose(2, 3, 1, 0)``
``bias`` (O,)              ``bias`` (O,)                as is
``resample_filter``        (not a parameter)            rebuilt by ``setup_filter``
=========================  ===========================  =========================
"""

from typing import Any, Sequence

import flax.linen as nn
import jax.numpy as jnp
import numpy as np

from gazejax.nn.stylegan2.bias_act import ACTIVATIONS, bias_act
from gazejax.nn.stylegan2.conv_resample import conv2d_resample
from gazejax.nn.stylegan2.upfirdn import DEFAULT_FILTER, setup_filter


class EqualizedDense(nn.Module):
    """StyleGAN2 ``FullyConnectedLayer``: ``(..., I) -> (..., features)``.

    Attributes:
      features: output width O.
      activation: a name in ``bias_act.ACTIVATIONS`` (its default gain is applied).
      lr_multiplier: learning-rate multiplier (0.01 in the mapping network).
      bias_init: initial stored bias value (effective bias = bias_init * lr_multiplier).
      use_bias: whether there is a bias.
      dtype: compute dtype (parameters stay float32).
    """

    features: int
    activation: str = "linear"
    lr_multiplier: float = 1.0
    bias_init: float = 0.0
    use_bias: bool = True
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, x):
        fan_in = x.shape[-1]
        kernel = self.param(
            "kernel", nn.initializers.normal(1.0 / self.lr_multiplier), (fan_in, self.features)
        )
        weight = (kernel * (self.lr_multiplier / np.sqrt(fan_in))).astype(self.dtype)
        # One 2-D matmul over all leading axes: with them kept, the weight gradient
        # contracts over several axes, which XLA:CPU serves with transposing copies
        # (the tri-plane decoder's forward+backward ran 1.6x slower).
        y = (x.reshape(-1, fan_in).astype(self.dtype) @ weight).reshape(x.shape[:-1] + (self.features,))
        bias = None
        if self.use_bias:
            stored = self.param("bias", nn.initializers.constant(self.bias_init), (self.features,))
            bias = (stored * self.lr_multiplier).astype(self.dtype)
        return bias_act(y, bias, act=self.activation)


class EqualizedConv2d(nn.Module):
    """StyleGAN2 ``Conv2dLayer``: ``(N, H, W, I) -> (N, H*up/down, W*up/down, features)``.

    Attributes:
      features: output channels O.
      kernel_size: square kernel side k (padding k // 2).
      activation: name in ``bias_act.ACTIVATIONS``.
      up, down: FIR resampling factor (1 or 2).
      resample_filter: 1-D taps of the FIR filter.
      conv_clamp: clamp of the output (times ``gain``), None = none.
      use_bias: whether there is a bias.
    """

    features: int
    kernel_size: int
    activation: str = "linear"
    up: int = 1
    down: int = 1
    resample_filter: Sequence[int] = DEFAULT_FILTER
    conv_clamp: float | None = None
    use_bias: bool = True

    @nn.compact
    def __call__(self, x, gain=1.0):
        k, fan_in = self.kernel_size, x.shape[-1]
        kernel = self.param("kernel", nn.initializers.normal(1.0), (k, k, fan_in, self.features))
        kernel = kernel * (1.0 / np.sqrt(fan_in * k * k))
        bias = self.param("bias", nn.initializers.zeros, (self.features,)) if self.use_bias else None
        x = conv2d_resample(
            x, kernel.astype(x.dtype), setup_filter(self.resample_filter),
            up=self.up, down=self.down, padding=k // 2,
        )
        act_gain = ACTIVATIONS[self.activation][1] * gain
        clamp = None if self.conv_clamp is None else self.conv_clamp * gain
        return bias_act(x, bias, act=self.activation, gain=act_gain, clamp=clamp)
