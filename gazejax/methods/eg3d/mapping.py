"""StyleGAN2 mapping network with camera conditioning (EG3D ``MappingNetwork``).

``z (N, z_dim), c (N, c_dim) -> ws (N, num_ws, w_dim)``: ``z`` and the
embedded camera label are each normalised to unit second moment,
concatenated and sent through ``num_layers`` equalized-lr FC layers (lrelu,
learning-rate multiplier 0.01); ``w`` is broadcast to ``num_ws`` copies and
optionally truncated toward the tracked average ``w_avg`` on the first
``truncation_cutoff`` of them (StyleGAN Eq. 3). With ``z_dim = 0`` and
``num_ws = None`` it is the discriminator's camera mapping (``(N, w_dim)``).

State-dict mapping (``backbone.mapping.`` / ``mapping.`` prefix):
``embed.*``, ``fc{i}.*`` -> ``embed``, ``fc{i}`` (dense, ``weight.T``);
``w_avg`` -> ``averages/w_avg``.
"""

import flax.linen as nn
import jax
import jax.numpy as jnp

from gazejax.nn.stylegan2 import EqualizedDense


def normalize_2nd_moment(x, eps=1e-8):
    """``x / sqrt(mean(x^2) + eps)`` over the last axis."""
    return x * jax.lax.rsqrt(jnp.mean(jnp.square(x), axis=-1, keepdims=True) + eps)


class MappingNetwork(nn.Module):
    """``z (N, z_dim) or None, c (N, c_dim) -> ws (N, num_ws, w_dim)`` (or ``(N, w_dim)`` if ``num_ws`` is None).

    Attributes:
      z_dim: latent size (0: no latent, the discriminator's mapping).
      c_dim: camera label size (EG3D: 25).
      w_dim: output width.
      num_ws: number of broadcast copies, None = no broadcast (and no ``w_avg``).
      num_layers: FC layers (EG3D generator: 2, discriminator: 8).
      lr_multiplier: learning-rate multiplier of the FC layers.
      w_avg_beta: decay of the ``w_avg`` moving average, None = not tracked.
    """

    z_dim: int
    c_dim: int
    w_dim: int
    num_ws: int | None
    num_layers: int = 8
    lr_multiplier: float = 0.01
    w_avg_beta: float | None = 0.998

    @nn.compact
    def __call__(self, z, c, truncation_psi=1.0, truncation_cutoff=None, update_emas=False):
        parts = []
        if self.z_dim > 0:
            parts.append(normalize_2nd_moment(z.astype(jnp.float32)))
        if self.c_dim > 0:
            parts.append(normalize_2nd_moment(EqualizedDense(self.w_dim, name="embed")(c.astype(jnp.float32))))
        x = jnp.concatenate(parts, axis=-1)
        for i in range(self.num_layers):
            x = EqualizedDense(self.w_dim, activation="lrelu", lr_multiplier=self.lr_multiplier, name=f"fc{i}")(x)
        if self.num_ws is None:
            return x
        tracked = self.num_ws is not None and self.w_avg_beta is not None
        w_avg = self.variable("averages", "w_avg", jnp.zeros, (self.w_dim,)) if tracked else None
        if update_emas and tracked and not self.is_initializing():
            # lerp(mean, w_avg, beta) as EG3D: w_avg <- mean + beta * (w_avg - mean)
            mean = jnp.mean(jax.lax.stop_gradient(x), axis=0)
            w_avg.value = mean + self.w_avg_beta * (w_avg.value - mean)
        ws = jnp.repeat(x[:, None], self.num_ws, axis=1)
        if truncation_psi != 1:
            cutoff = self.num_ws if truncation_cutoff is None else truncation_cutoff
            avg = w_avg.value
            truncated = avg + truncation_psi * (ws[:, :cutoff] - avg)
            ws = jnp.concatenate([truncated, ws[:, cutoff:]], axis=1)
        return ws
