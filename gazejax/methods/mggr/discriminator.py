"""MGGR's multi-task discriminator: adversarial and gaze-regression heads on one trunk.

MGGR Sec. 3.2 ("Multi-task Discriminator Learning", Eq. 10-12): ``D_adv`` and
``D_gaze`` share all layers except their last two; ``D`` sees only the image,
no conditions.
"""

from typing import Any, Sequence

import flax.linen as nn
import jax.numpy as jnp

_SLOPE = 0.01  # PRGAN's LeakyReLU slope


class Trunk(nn.Module):
    """Shared layers: 4x4 stride-2 convolutions with LeakyReLU(0.01), as PRGAN's D.

    Attributes:
      features: channels of each stride-2 conv.

    Call: (N, H, W, 3) in [0, 1] -> (N, H / 2^L, W / 2^L, features[-1]).
    """

    features: Sequence[int]
    dtype: Any = jnp.float32  # compute dtype (parameters stay float32)

    @nn.compact
    def __call__(self, x):
        x = 2.0 * x - 1.0
        for width in self.features:
            x = nn.leaky_relu(nn.Conv(width, (4, 4), strides=2, padding=1, dtype=self.dtype)(x), _SLOPE)
        return x


class Head(nn.Module):
    """A head's own two layers: conv3 + LeakyReLU, then the output conv.

    Attributes:
      hidden: channels of the first layer.
      outputs: channels of the output.
      spatial: True keeps a map of outputs (3x3 conv, patch logits); False
        reduces the whole map to one vector (a conv as large as its input).

    Call: (N, h, w, C) -> (N, h, w, outputs) if spatial else (N, outputs).
    """

    hidden: int
    outputs: int
    spatial: bool
    dtype: Any = jnp.float32  # compute dtype (parameters stay float32)

    @nn.compact
    def __call__(self, x):
        hidden = nn.Conv(self.hidden, (3, 3), padding=1, dtype=self.dtype, name="hidden")
        x = nn.leaky_relu(hidden(x), _SLOPE)
        if self.spatial:
            return nn.Conv(self.outputs, (3, 3), padding=1, dtype=self.dtype, name="out")(x)
        out = nn.Conv(self.outputs, x.shape[1:3], padding="VALID", dtype=self.dtype, name="out")(x)
        return out.reshape(x.shape[0], self.outputs)


class Discriminator(nn.Module):
    """``(D_adv, D_gaze)``: patch logits for real/fake and regressed gaze.

    Paper silent on the layers; the trunk follows PRGAN's discriminator and
    each head has the two unshared layers the paper specifies. The gaze
    head regresses the normalised angles (``gazemap.normalize_angles``).

    Attributes:
      features: trunk channels (one stride-2 conv each).
      head_features: hidden channels of each head.
      dtype: compute dtype (parameters stay float32; outputs are float32).

    Call: (N, H, W, 3) in [0, 1] -> (adv_logits (N, H / 2^L, W / 2^L),
      gaze (N, 2)).
    """

    features: Sequence[int] = (64, 128, 256, 512)
    head_features: int = 512
    dtype: Any = jnp.float32  # compute dtype (parameters stay float32)

    @nn.compact
    def __call__(self, x):
        shared = Trunk(self.features, dtype=self.dtype, name="trunk")(x)
        adv = Head(self.head_features, 1, spatial=True, dtype=self.dtype, name="adv_head")(shared)
        gaze = Head(self.head_features, 2, spatial=False, dtype=self.dtype, name="gaze_head")(shared)
        return jnp.squeeze(adv, -1).astype(jnp.float32), gaze.astype(jnp.float32)
