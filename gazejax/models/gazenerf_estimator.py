"""GazeNeRF's VGG16 gaze + head estimator, the frozen judge of its functional loss.

GazeNeRF ``gaze_estimation/xgaze_baseline_vgg.py`` (= ST-ED's
``GazeHeadNet``; GazeNeRF Sec. 3.2, Eq. 9): VGG16 ``features`` (through
pool5) -> spatial mean -> FC 512->64 -> LeakyReLU(0.2) -> FC 64->64 ->
LeakyReLU(0.2) -> FC 64->4 -> tanh * pi/2, split into gaze and head
(pitch, yaw) radians.
"""

import flax.linen as nn
import jax.numpy as jnp

from gazejax.geometry import from_gazenerf
from gazejax.nn.image_input import imagenet_normalize
from gazejax.nn.vgg import VGG16

INPUT_SIZE = 224


class GazeNeRFEstimator(nn.Module):
    """Call: ``images`` (N, 224, 224, 3) RGB in [0, 1] -> ``{'gaze': (N, 2), 'head': (N, 2)}``.

    Angles in the convention of the training labels (GazeNeRF's, pitch
    flipped; see :func:`predict_angles`).
    """

    @nn.compact
    def __call__(self, images):
        x = VGG16(taps=("pool5",), name="vgg")(imagenet_normalize(images))["pool5"]
        x = jnp.mean(x, axis=(1, 2))
        x = nn.leaky_relu(nn.Dense(64, name="FC1")(x), 0.2)
        x = nn.leaky_relu(nn.Dense(64, name="FC2")(x), 0.2)
        x = jnp.tanh(nn.Dense(4, name="FC3")(x)) * (jnp.pi / 2)
        return {"gaze": x[:, :2], "head": x[:, 2:]}


def predict_angles(module, variables, images, info):
    """``{'gaze': (N, 2), 'head': (N, 2)}`` in our (pitch, yaw) radians; GazeNeRF-trained weights flip pitch."""
    out = module.apply(variables, images)
    if info["convention"] == "gazenerf":
        out = {k: from_gazenerf(v) for k, v in out.items()}
    return out
