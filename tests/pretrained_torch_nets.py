"""Plain-torch.nn references for the parity tests, with the released checkpoints' key names.

torchvision is not installed, so its ResNet/VGG16 module layout is rebuilt
here (``conv1``, ``bn1``, ``layer1.0.downsample.0``, ``features.N``); the
wrappers add L2CS's ``fc_yaw_gaze``/``fc_pitch_gaze``/``fc_finetune``,
GazeNeRF's ``gaze_network``/``gaze_fc`` and ``vgg16``/``FC1..3``, and
lpips's ``net.sliceK``/``linK.model.1``/``scaling_layer``. ``FIDInception`` is
the TensorFlow-graph Inception-v3 in pytorch-fid's layout (``Conv2d_1a_3x3``,
``Mixed_5b.branch1x1.conv``, ..., ``fc``).
"""

import numpy as np
import torch
from torch import nn

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], np.float32)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU()
        self.downsample = downsample

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU()
        self.downsample = downsample

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


STAGES = {18: (BasicBlock, [2, 2, 2, 2]), 34: (BasicBlock, [3, 4, 6, 3]), 50: (Bottleneck, [3, 4, 6, 3])}


class ResNet(nn.Module):
    """torchvision ResNet; ``forward`` returns the pooled (N, C) feature."""

    def __init__(self, depth, pool_stride=2, with_fc=False):
        super().__init__()
        block, layers = STAGES[depth]
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, pool_stride, 1)
        for i, n in enumerate(layers):
            setattr(self, f"layer{i + 1}", self._make_layer(block, 64 * 2**i, n, 1 if i == 0 else 2))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        if with_fc:  # torchvision's ImageNet classifier, vestigial in the gaze nets
            self.fc = nn.Linear(512 * block.expansion, 10)

    def _make_layer(self, block, planes, n, stride):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes * block.expansion, 1, stride, bias=False),
                nn.BatchNorm2d(planes * block.expansion),
            )
        blocks = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        blocks += [block(self.inplanes, planes) for _ in range(1, n)]
        return nn.Sequential(*blocks)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return torch.flatten(self.avgpool(x), 1)


class L2CS(ResNet):
    """L2CS-Net: ``forward`` returns (yaw_logits, pitch_logits), as the reference does."""

    def __init__(self, depth, num_bins):
        super().__init__(depth)
        width = 512 * STAGES[depth][0].expansion
        self.fc_yaw_gaze = nn.Linear(width, num_bins)
        self.fc_pitch_gaze = nn.Linear(width, num_bins)
        self.fc_finetune = nn.Linear(width + 3, 3)

    def forward(self, x):
        features = super().forward(x)
        return self.fc_yaw_gaze(features), self.fc_pitch_gaze(features)


class XGazeResNet(nn.Module):
    """GazeNeRF's ``xgaze_baseline_resnet.gaze_network``: returns (gaze, head)."""

    def __init__(self, depth=50, pool_stride=2):
        super().__init__()
        self.gaze_network = ResNet(depth, pool_stride, with_fc=True)
        self.gaze_fc = nn.Sequential(nn.Linear(512 * STAGES[depth][0].expansion, 4))

    def forward(self, x):
        out = self.gaze_fc(self.gaze_network(x))
        return out[:, :2], out[:, 2:]


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
        h = torch.tanh(self.FC3(h)) * np.pi * 0.5
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


class _Conv(nn.Module):
    """torchvision's BasicConv2d: conv (no bias) + BatchNorm(eps=1e-3) + ReLU."""

    def __init__(self, cin, cout, kernel=1, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x)))


def _tf_avg_pool(x):
    return torch.nn.functional.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)


class _BlockA(nn.Module):
    def __init__(self, cin, pool_features):
        super().__init__()
        self.branch1x1 = _Conv(cin, 64)
        self.branch5x5_1, self.branch5x5_2 = _Conv(cin, 48), _Conv(48, 64, 5, padding=2)
        self.branch3x3dbl_1 = _Conv(cin, 64)
        self.branch3x3dbl_2, self.branch3x3dbl_3 = _Conv(64, 96, 3, padding=1), _Conv(96, 96, 3, padding=1)
        self.branch_pool = _Conv(cin, pool_features)

    def forward(self, x):
        return torch.cat([
            self.branch1x1(x), self.branch5x5_2(self.branch5x5_1(x)),
            self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
            self.branch_pool(_tf_avg_pool(x))], 1)


class _BlockB(nn.Module):
    def __init__(self, cin):
        super().__init__()
        self.branch3x3 = _Conv(cin, 384, 3, stride=2)
        self.branch3x3dbl_1, self.branch3x3dbl_2 = _Conv(cin, 64), _Conv(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = _Conv(96, 96, 3, stride=2)

    def forward(self, x):
        return torch.cat([self.branch3x3(x), self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
                          torch.nn.functional.max_pool2d(x, 3, stride=2)], 1)


class _BlockC(nn.Module):
    def __init__(self, cin, c7):
        super().__init__()
        self.branch1x1 = _Conv(cin, 192)
        self.branch7x7_1 = _Conv(cin, c7)
        self.branch7x7_2 = _Conv(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7_3 = _Conv(c7, 192, (7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = _Conv(cin, c7)
        self.branch7x7dbl_2 = _Conv(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = _Conv(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = _Conv(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = _Conv(c7, 192, (1, 7), padding=(0, 3))
        self.branch_pool = _Conv(cin, 192)

    def forward(self, x):
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        bd = x
        for i in range(1, 6):
            bd = getattr(self, f"branch7x7dbl_{i}")(bd)
        return torch.cat([self.branch1x1(x), b7, bd, self.branch_pool(_tf_avg_pool(x))], 1)


class _BlockD(nn.Module):
    def __init__(self, cin):
        super().__init__()
        self.branch3x3_1, self.branch3x3_2 = _Conv(cin, 192), _Conv(192, 320, 3, stride=2)
        self.branch7x7x3_1 = _Conv(cin, 192)
        self.branch7x7x3_2 = _Conv(192, 192, (1, 7), padding=(0, 3))
        self.branch7x7x3_3 = _Conv(192, 192, (7, 1), padding=(3, 0))
        self.branch7x7x3_4 = _Conv(192, 192, 3, stride=2)

    def forward(self, x):
        b7 = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        return torch.cat([self.branch3x3_2(self.branch3x3_1(x)), b7,
                          torch.nn.functional.max_pool2d(x, 3, stride=2)], 1)


class _BlockE(nn.Module):
    def __init__(self, cin, max_pool):
        super().__init__()
        self.max_pool = max_pool
        self.branch1x1 = _Conv(cin, 320)
        self.branch3x3_1 = _Conv(cin, 384)
        self.branch3x3_2a = _Conv(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3_2b = _Conv(384, 384, (3, 1), padding=(1, 0))
        self.branch3x3dbl_1, self.branch3x3dbl_2 = _Conv(cin, 448), _Conv(448, 384, 3, padding=1)
        self.branch3x3dbl_3a = _Conv(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = _Conv(384, 384, (3, 1), padding=(1, 0))
        self.branch_pool = _Conv(cin, 192)

    def forward(self, x):
        b3 = self.branch3x3_1(x)
        bd = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        pooled = torch.nn.functional.max_pool2d(x, 3, stride=1, padding=1) if self.max_pool else _tf_avg_pool(x)
        return torch.cat([self.branch1x1(x), self.branch3x3_2a(b3), self.branch3x3_2b(b3),
                          self.branch3x3dbl_3a(bd), self.branch3x3dbl_3b(bd), self.branch_pool(pooled)], 1)


class FIDInception(nn.Module):
    """pytorch-fid's FID Inception; ``forward`` gives the (N, 2048) pool3 features of [-1, 1] input."""

    def __init__(self):
        super().__init__()
        self.Conv2d_1a_3x3 = _Conv(3, 32, 3, stride=2)
        self.Conv2d_2a_3x3 = _Conv(32, 32, 3)
        self.Conv2d_2b_3x3 = _Conv(32, 64, 3, padding=1)
        self.Conv2d_3b_1x1 = _Conv(64, 80)
        self.Conv2d_4a_3x3 = _Conv(80, 192, 3)
        self.Mixed_5b, self.Mixed_5c, self.Mixed_5d = _BlockA(192, 32), _BlockA(256, 64), _BlockA(288, 64)
        self.Mixed_6a = _BlockB(288)
        self.Mixed_6b, self.Mixed_6c = _BlockC(768, 128), _BlockC(768, 160)
        self.Mixed_6d, self.Mixed_6e = _BlockC(768, 160), _BlockC(768, 192)
        self.Mixed_7a = _BlockD(768)
        self.Mixed_7b, self.Mixed_7c = _BlockE(1280, max_pool=False), _BlockE(2048, max_pool=True)
        self.fc = nn.Linear(2048, 1008)  # the classifier FID does not use

    def forward(self, x):
        pool = torch.nn.functional.max_pool2d
        x = pool(self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x))), 3, stride=2)
        x = pool(self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x)), 3, stride=2)
        for name in ("5b", "5c", "5d", "6a", "6b", "6c", "6d", "6e", "7a", "7b", "7c"):
            x = getattr(self, f"Mixed_{name}")(x)
        return x.mean((2, 3))


def randomize(module, seed=0):
    """Random weights and BatchNorm statistics (non-trivial scales), eval mode."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in module.state_dict().items():
            if name.endswith("num_batches_tracked") or name.startswith("scaling_layer"):
                continue
            if name.endswith("running_var"):
                p.copy_(torch.rand(p.shape, generator=gen) + 0.5)
            elif name.endswith(("running_mean", "bias")):
                p.copy_(torch.randn(p.shape, generator=gen) * 0.1)
            elif p.ndim == 1:  # BatchNorm weight; < 1 so residual sums stay O(1)
                p.copy_(torch.rand(p.shape, generator=gen) * 0.4 + 0.2)
            else:  # He-normal, so activations keep their scale through depth
                fan_in = p[0].numel()
                p.copy_(torch.randn(p.shape, generator=gen) * np.sqrt(2.0 / fan_in))
    return module.eval()


def to_nchw(images_nhwc, imagenet=True):
    """[0, 1] NHWC numpy -> NCHW torch tensor, ImageNet-normalised like the references' transforms."""
    x = (images_nhwc - IMAGENET_MEAN) / IMAGENET_STD if imagenet else images_nhwc
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2), dtype=np.float32))


def images(n, size, seed=0):
    return np.random.default_rng(seed).random((n, size, size, 3), dtype=np.float32)


def random_variables(module, *inputs, seed=0):
    """Random variables for a Flax module without running its (slow, unjitted) init.

    Shapes come from ``jax.eval_shape``; kernels are He-normal, BatchNorm and
    everything else like torch's defaults.
    """
    import flax.traverse_util  # noqa: PLC0415
    import jax  # noqa: PLC0415

    abstract = jax.eval_shape(module.init, jax.random.key(0), *inputs)
    rng = np.random.default_rng(seed)
    flat = {}
    for path, leaf in flax.traverse_util.flatten_dict(abstract).items():
        if path[-1] == "kernel":
            fan_in = int(np.prod(leaf.shape[:-1]))
            value = rng.standard_normal(leaf.shape) * np.sqrt(2.0 / fan_in)
        elif path[-1] in ("scale", "var"):
            value = np.ones(leaf.shape)
        else:
            value = rng.standard_normal(leaf.shape) * 0.01
        flat[path] = value.astype(np.float32)
    return flax.traverse_util.unflatten_dict(flat)
