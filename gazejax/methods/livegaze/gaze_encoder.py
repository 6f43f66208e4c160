"""E_g: the gaze-prompt encoder (LiveGaze paper Sec. 3.2, "Injecting Gaze as Condition").

The paper says only that E_g turns the gaze label into embeddings "whose
dimensions are aligned with the high-frequency features F_h"; this is our
design: the (pitch, yaw) prompt (radians, head frame) is lifted with NeRF-style
Fourier features (Mildenhall et al. 2020, Eq. 4) so the MLP can resolve small
angle changes, then an MLP emits ``num_tokens`` tokens of width ``width`` (=
the channel count of F_h), each with a learned token embedding added, so the
keys/values of the cross-attention are distinguishable.
"""

from typing import Any

import flax.linen as nn
import jax.numpy as jnp


def fourier_features(pitchyaw, num_frequencies):
    """``(N, 2)`` -> ``(N, 2 + 4 * num_frequencies)``: the angles, then sin/cos of ``2^k * angle``."""
    scales = 2.0 ** jnp.arange(num_frequencies, dtype=jnp.float32)
    angles = pitchyaw[:, :, None] * scales  # (N, 2, F)
    parts = [pitchyaw, jnp.sin(angles).reshape(len(pitchyaw), -1), jnp.cos(angles).reshape(len(pitchyaw), -1)]
    return jnp.concatenate(parts, axis=-1)


class GazeEncoder(nn.Module):
    """``(N, 2)`` gaze (pitch, yaw) -> ``(N, num_tokens, width)`` gaze tokens."""

    width: int = 96
    num_tokens: int = 16
    hidden: int = 256
    num_frequencies: int = 6
    dtype: Any = jnp.float32  # compute dtype (parameters stay float32)

    @nn.compact
    def __call__(self, pitchyaw):
        h = fourier_features(pitchyaw, self.num_frequencies)
        h = nn.silu(nn.Dense(self.hidden, name="fc1", dtype=self.dtype)(h))
        h = nn.silu(nn.Dense(self.hidden, name="fc2", dtype=self.dtype)(h))
        tokens = nn.Dense(self.num_tokens * self.width, name="fc3", dtype=self.dtype)(h)
        tokens = tokens.reshape(len(pitchyaw), self.num_tokens, self.width)
        token_embedding = self.param(
            "token_embedding", nn.initializers.normal(0.02), (self.num_tokens, self.width)
        )
        return tokens + token_embedding.astype(self.dtype)
