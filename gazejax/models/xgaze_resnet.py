"""ETH-XGaze-style ResNet-50 gaze + head estimator (GazeNeRF Sec. 4.2 evaluation).

GazeNeRF's ``gaze_estimation/xgaze_baseline_resnet.py`` (the
``epoch_7_resnet_correct_ckpt.pth.tar`` judge; also ST-ED's
``GazeHeadResNet`` with ``stem_pool_stride=1``): an ImageNet ResNet-50, its
2048-d pooled feature, and ``gaze_fc`` = Linear 2048 -> 4 with no activation:
(gaze pitch, gaze yaw, head pitch, head yaw) in radians.
"""

import flax.linen as nn

from gazejax.geometry import from_gazenerf
from gazejax.nn.image_input import imagenet_normalize
from gazejax.nn.resnet import ResNet

INPUT_SIZE = 224


class XGazeResNet(nn.Module):
    """Call: ``images`` (N, 224, 224, 3) RGB in [0, 1] -> ``{'gaze': (N, 2), 'head': (N, 2)}``.

    Angles are (pitch, yaw) radians in the convention of the labels the
    network was trained on (see :func:`predict_angles`).
    """

    depth: int = 50
    stem_pool_stride: int = 2

    @nn.compact
    def __call__(self, images, train=False):
        x = imagenet_normalize(images)
        features = ResNet(self.depth, self.stem_pool_stride, name="backbone")(x, train)
        out = nn.Dense(4, name="gaze_fc")(features)
        return {"gaze": out[:, :2], "head": out[:, 2:]}


def predict_angles(module, variables, images, info):
    """``{'gaze': (N, 2), 'head': (N, 2)}`` in our (pitch, yaw) radians; GazeNeRF-trained weights flip pitch."""
    out = module.apply(variables, images)
    if info["convention"] == "gazenerf":
        out = {k: from_gazenerf(v) for k, v in out.items()}
    return out
