"""One GazeNeRF MLP stream (reference ``MLPforNeRF``; paper Eq. 3).

``h: (gamma(x), z_shape, g, z_appearance) -> (sigma, f)``. Parameter names
match the reference state_dict (``FeaExt_module_0..7``, ``density_module``,
``RGB_layer_0..2``); its 1x1 Conv2d layers are Dense layers here.
"""

from typing import Any, Callable

import flax.linen as nn
import jax
import jax.numpy as jnp


class ConcatDense(nn.Module):
    """``Dense(concat(parts))`` without materialising the concatenation.

    The kernel is the one a Dense on the concatenated input would have
    (``(sum C_i, features)``, same parameter names), applied part by part, so
    per-image parts (codes, shape ``(B, 1, 1, C)``) are multiplied once per
    image instead of once per sample point.

    Call: ``parts`` list of ``(..., C_i)`` arrays, mutually broadcastable ->
    ``(..., features)``.
    """

    features: int
    kernel_init: Callable = nn.linear.default_kernel_init
    dtype: Any = jnp.float32  # compute dtype (parameters stay float32)

    @nn.compact
    def __call__(self, parts):
        sizes = [p.shape[-1] for p in parts]
        kernel = self.param("kernel", self.kernel_init, (sum(sizes), self.features)).astype(self.dtype)
        bias = self.param("bias", nn.initializers.zeros, (self.features,)).astype(self.dtype)
        out, start = bias, 0
        for part, size in zip(parts, sizes):
            out = out + part.astype(self.dtype) @ kernel[start:start + size]
            start += size
        return out


class NerfMLP(nn.Module):
    """Density and feature of every sample point.

    Trunk of ``depth`` ReLU layers of ``width``; after layer ``depth // 2``
    the input is concatenated in front of the activations (the skip). The
    density head is ReLU(Dense 1); the feature head is Dense(width) ->
    concat appearance -> ReLU(Dense width/2) -> Dense(out_features), with no
    output activation (features, not colours).

    Attributes:
      width: hidden width (GazeNeRF 384).
      depth: trunk layers (8; at least 3 so that the skip feeds a trunk layer).
      out_features: feature channels (258).

    Call:
      points: ``(..., P)`` encoded sample positions (PE(xyz)).
      condition: ``(..., K)`` broadcastable to ``points`` -- the shape code
        and gaze, which follow PE(xyz) in the reference's input order.
      appearance: ``(..., A)`` broadcastable likewise.
      Returns (features ``(..., out_features)``, density ``(...)``), where
      ``...`` is the broadcast of the three leading shapes.
    """

    width: int = 384
    depth: int = 8
    out_features: int = 258
    dtype: Any = jnp.float32  # compute dtype (parameters stay float32)

    @nn.compact
    def __call__(self, points, condition, appearance):
        if self.depth < 3:
            raise ValueError(f"NerfMLP depth must be >= 3 (the skip feeds a trunk layer), got {self.depth}")
        xavier = nn.initializers.xavier_uniform()
        inputs = [points, condition]
        skip = self.depth // 2
        x = None
        for i in range(self.depth):
            # Xavier where the reference applies it (trunk 1..7, density, RGB_layer_0).
            init = xavier if i > 0 else nn.linear.default_kernel_init
            parts = inputs if i == 0 else (inputs + [x] if i == skip + 1 else [x])
            layer = ConcatDense(self.width, kernel_init=init, dtype=self.dtype, name=f"FeaExt_module_{i}")
            x = nn.relu(layer(parts))
        density = nn.Dense(1, kernel_init=xavier, name="density_module", dtype=self.dtype)(x)
        h = nn.Dense(self.width, kernel_init=xavier, name="RGB_layer_0", dtype=self.dtype)(x)
        h = nn.relu(ConcatDense(self.width // 2, name="RGB_layer_1", dtype=self.dtype)([h, appearance]))
        features = nn.Dense(self.out_features, name="RGB_layer_2", dtype=self.dtype)(h)
        # float32 out: compositing multiplies many transmittances
        return features.astype(jnp.float32), jax.nn.relu(density[..., 0].astype(jnp.float32))
