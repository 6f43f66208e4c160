"""EG3D's tri-plane decoder (``OSGDecoder`` in ``triplane.py``; EG3D §3.1, Fig. 2).

``features (N, M, C)`` (tri-plane samples, already averaged over the planes)
-> equalized-lr FC(C -> 64) -> softplus -> FC(64 -> 1 + out) ->
``sigma = out[..., :1]`` (raw; the ray marcher applies softplus(sigma - 1)) and
``rgb = sigmoid(out[..., 1:]) * 1.002 - 0.001`` (``out`` feature channels, the
first three are the raw image). View directions are ignored, as in EG3D.

State-dict mapping (``decoder.`` prefix in EG3D checkpoints):

=====================  ======================  ===========
torch key              flax param              conversion
=====================  ======================  ===========
``net.0.weight`` (H,C) ``net_0/kernel`` (C,H)  ``w.T``
``net.0.bias``         ``net_0/bias``          as is
``net.2.weight``       ``net_2/kernel``        ``w.T``
``net.2.bias``         ``net_2/bias``          as is
=====================  ======================  ===========
"""

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from gazejax.nn.softplus import softplus
from gazejax.nn.stylegan2 import EqualizedDense

# EG3D widens the sigmoid slightly so that 0 and 1 are reachable.
SIGMOID_PAD = 0.001


class OSGDecoder(nn.Module):
    """``(N, M, C) -> (rgb (N, M, out_features), sigma (N, M, 1))``.

    Attributes:
      out_features: colour-feature channels (EG3D: 32).
      hidden: hidden width (EG3D: 64).
      lr_multiplier: EG3D's ``decoder_lr_mul`` (FFHQ: 1).
      dtype: compute dtype of the two layers (parameters and outputs stay float32).
    """

    out_features: int = 32
    hidden: int = 64
    lr_multiplier: float = 1.0
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, features):
        dense = lambda width, name: EqualizedDense(  # noqa: E731
            width, lr_multiplier=self.lr_multiplier, dtype=self.dtype, name=name
        )
        x = softplus(dense(self.hidden, "net_0")(features))
        # float32 from here: the densities feed volume rendering's transmittance products
        x = dense(1 + self.out_features, "net_2")(x).astype(jnp.float32)
        rgb = jax.nn.sigmoid(x[..., 1:]) * (1 + 2 * SIGMOID_PAD) - SIGMOID_PAD
        return rgb, x[..., :1]
