"""torchvision's VGG16 and the networks built on it, in plain torch.nn.

Key names as released: torchvision's ``features.N``; GazeNeRF's VGG gaze
estimator (``vgg16.N``, ``FC1..3``); lpips's ``net.sliceK``,
``linK.model.1`` and ``scaling_layer``.
"""

import math

import torch
from torch import nn


VGG16_CFG = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]


def vgg16_features():
    layers, cin = [], 3
    for v in VGG16_CFG:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(cin, v, 3, padding=1), nn.ReLU()]
            cin = v
    return nn.Sequential(*layers)


class VGG16(nn.Module):
    """torchvision VGG16 with a small stand-in ``classifier`` (ignored by the converter)."""

    def __init__(self):
        super().__init__()
        self.features = vgg16_features()
        self.classifier = nn.Sequential(nn.Linear(8, 8))


class GazeNeRFVGG(nn.Module):
    """GazeNeRF's ``xgaze_baseline_vgg.gaze_network``: returns (gaze, head)."""

    def __init__(self):
        super().__init__()
        self.vgg16 = vgg16_features()
        self.FC1, self.FC2, self.FC3 = nn.Linear(512, 64), nn.Linear(64, 64), nn.Linear(64, 4)
        self.act = nn.LeakyReLU(0.2)

    def forward(self, x):
        h = self.vgg16(x).mean(-1).mean(-1)
        h = self.act(self.FC2(self.act(self.FC1(h))))
        h = torch.tanh(self.FC3(h)) * math.pi * 0.5
        return h[:, :2], h[:, 2:]


class LPIPS(nn.Module):
    """lpips.LPIPS(net='vgg', version='0.1') forward on inputs in [-1, 1] -> (N,)."""

    SLICES = [(0, 4), (4, 9), (9, 16), (16, 23), (23, 30)]

    def __init__(self):
        super().__init__()
        self.scaling_layer = nn.Module()
        self.scaling_layer.register_buffer("shift", torch.tensor([-0.030, -0.088, -0.188])[None, :, None, None])
        self.scaling_layer.register_buffer("scale", torch.tensor([0.458, 0.448, 0.450])[None, :, None, None])
        features = vgg16_features()
        self.net = nn.Module()
        for k, (a, b) in enumerate(self.SLICES):
            s = nn.Sequential()
            for i in range(a, b):
                s.add_module(str(i), features[i])
            setattr(self.net, f"slice{k + 1}", s)
        for k, c in enumerate([64, 128, 256, 512, 512]):
            lin = nn.Module()
            lin.model = nn.Sequential(nn.Dropout(), nn.Conv2d(c, 1, 1, bias=False))
            setattr(self, f"lin{k}", lin)

    def forward(self, a, b):
        def feats(x):
            h, out = (x - self.scaling_layer.shift) / self.scaling_layer.scale, []
            for k in range(5):
                h = getattr(self.net, f"slice{k + 1}")(h)
                out.append(h / (torch.sqrt((h**2).sum(1, keepdim=True)) + 1e-10))
            return out

        total = 0
        for k, (fa, fb) in enumerate(zip(feats(a), feats(b))):
            total = total + getattr(self, f"lin{k}").model((fa - fb) ** 2).mean((2, 3))
        return total[:, 0]
