"""torchvision's ResNet and the gaze networks built on it, in plain torch.nn.

torchvision is not a dependency, so its module layout is rebuilt here
(``conv1``, ``bn1``, ``layer1.0.downsample.0``, ...); :class:`L2CS` adds
L2CS-Net's ``fc_yaw_gaze``/``fc_pitch_gaze``/``fc_finetune`` and
:class:`XGazeResNet` GazeNeRF's ``gaze_network``/``gaze_fc``, the released
checkpoints' key names.
"""

import torch
from torch import nn


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
