"""LiveGaze from a config's ``model`` section, and input checks done before jit."""

import jax
import jax.numpy as jnp
import numpy as np

from gazejax.methods.livegaze.model import LiveGaze
from gazejax.methods.livegaze.tri_encoder import TriplaneEncoder


def build_model(model_config, dtype=jnp.float32):
    """``config.model`` (ConfigDict or dict) -> :class:`LiveGaze` computing in ``dtype``."""
    fields = dict(model_config)
    encoder = {k: tuple(v) if isinstance(v, list) else v for k, v in dict(fields.pop("encoder")).items()}
    if fields.get("sr_widths") is not None:
        fields["sr_widths"] = tuple(fields["sr_widths"])
    return LiveGaze(encoder=TriplaneEncoder(**encoder, dtype=dtype), dtype=dtype, **fields)


def check_inputs(model, images, gaze, camera):
    """Raises ValueError (one line) for inputs the model cannot take."""
    images, gaze, camera = np.shape(images), np.shape(gaze), np.shape(camera)
    # Source and target images share one size, so inputs come at the output size.
    r = model.output_resolution
    if len(images) != 4 or images[-1] != 3:
        raise ValueError(f"images must be (N, H, W, 3) RGB, got shape {images}")
    if images[1:3] != (r, r):
        raise ValueError(f"this model takes {r}x{r} normalized face crops, got {images[1]}x{images[2]}")
    if gaze != (images[0], 2):
        raise ValueError(f"gaze must be (N, 2) (pitch, yaw) radians, got shape {gaze}")
    if camera != (images[0], 25):
        raise ValueError(f"camera must be (N, 25) EG3D labels, got shape {camera}")
    if r % 16:
        raise ValueError(f"the encoder needs a resolution divisible by 16, got {r}")


def init_variables(model, key, images, gaze, camera):
    """``model``'s variables (``params`` plus fixed buffers such as the
    super-resolution's ``constants``), drawn from a fast 'unsafe_rbg' key seeded by ``key``.

    Deterministic for a given ``key``. Threefry random bits for this many
    parameter tensors made the jitted init compile about 5x slower on CPU than
    the rbg generator (measured: 69 s vs 15 s for the tiny encoder).
    """
    seed = jax.random.randint(key, (), 0, jnp.iinfo(jnp.int32).max)
    return model.init(jax.random.key(seed, impl="unsafe_rbg"), images, gaze, camera)


def model_variables(params, extra):
    """The model's variables: trained ``params`` plus the fixed buffers in ``extra``."""
    return {"params": params, **((extra or {}).get("buffers") or {})}
