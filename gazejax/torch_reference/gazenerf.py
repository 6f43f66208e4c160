"""GazeNeRF's networks and rendering steps in plain torch.

The NeRF MLP, the neural renderer (pixel-shuffle upsampling + blur), the
eye-feature rotation and merge, and the z-plane sampling + compositing, as
GazeNeRF's code writes them: NCHW / ``[B, C, N_rays, N_samples]`` layout,
module and parameter names equal to the released state_dict keys
(``fg_CD_predictor_face.FeaExt_module_0.weight``,
``neural_render.feat_upsample_list.0.layer_1.weight``,
``neural_render.bg_featmap``).
"""

import torch
import torch.nn.functional as F
from torch import nn


def conv1x1(cin, cout):
    return nn.Conv2d(cin, cout, kernel_size=1)


class TorchNerfMLP(nn.Module):
    """8 x width trunk, input re-joined after layer depth//2, density + feature heads."""

    def __init__(self, in_channels, appearance_channels, width, out_features, depth=8):
        super().__init__()
        self.depth, self.skip = depth, depth // 2
        for i in range(depth):
            cin = in_channels if i == 0 else width + (in_channels if i == self.skip + 1 else 0)
            self.add_module(f"FeaExt_module_{i}", conv1x1(cin, width))
        self.density_module = conv1x1(width, 1)
        self.RGB_layer_0 = conv1x1(width, width)
        self.RGB_layer_1 = conv1x1(width + appearance_channels, width // 2)
        self.RGB_layer_2 = conv1x1(width // 2, out_features)

    def forward(self, inputs, appearance):
        x = inputs
        for i in range(self.depth):
            x = F.relu(getattr(self, f"FeaExt_module_{i}")(x))
            if i == self.skip:
                x = torch.cat([inputs, x], 1)
        density = F.relu(self.density_module(x))
        h = F.relu(self.RGB_layer_1(torch.cat([self.RGB_layer_0(x), appearance], 1)))
        return self.RGB_layer_2(h), density


def torch_blur(x):
    k = torch.tensor([1.0, 2.0, 1.0])
    k = (k[:, None] * k[None, :]) / 16.0
    c = x.shape[1]
    x = F.pad(x, (1, 1, 1, 1), mode="reflect")
    return F.conv2d(x, k.expand(c, 1, 3, 3).contiguous(), groups=c)


class TorchPixelShuffleUpsample(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer_1 = conv1x1(c, 2 * c)
        self.layer_2 = conv1x1(2 * c, 4 * c)

    def forward(self, x):
        out = F.leaky_relu(self.layer_1(x), 0.2)
        out = F.leaky_relu(self.layer_2(out), 0.2)
        return torch_blur(F.pixel_shuffle(out + x.repeat(1, 4, 1, 1), 2))


class TorchNeuralRenderer(nn.Module):
    def __init__(self, channels, num_blocks, featmap_size, min_channels=32):
        super().__init__()
        width = [max(channels // 2**i, min_channels) for i in range(num_blocks + 1)]
        self.num_blocks = num_blocks
        self.feat_upsample_list = nn.ModuleList(
            [TorchPixelShuffleUpsample(width[i]) for i in range(num_blocks)])
        self.feat_2_rgb_list = nn.ModuleList([conv1x1(w, 3) for w in width])
        self.feat_layers = nn.ModuleList(
            [conv1x1(width[i], width[i + 1]) for i in range(num_blocks)])
        self.bg_featmap = nn.Parameter(torch.ones(1, channels, featmap_size, featmap_size))

    @staticmethod
    def up(x):
        return torch_blur(F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False))

    def forward(self, x):
        rgb = self.up(self.feat_2_rgb_list[0](x))
        net = x
        for i in range(self.num_blocks):
            net = F.leaky_relu(self.feat_layers[i](self.feat_upsample_list[i](net)), 0.2)
            rgb = rgb + self.feat_2_rgb_list[i + 1](net)
            if i < self.num_blocks - 1:
                rgb = self.up(rgb)
        return torch.sigmoid(rgb)


def torch_rotate_and_merge(face, eyes, gaze):
    """face, eyes (B, C, H, W); gaze (B, 2) GazeNeRF labels -> (rotated eyes, merged)."""
    b, c, h, w = eyes.shape
    cp, sp = torch.cos(gaze[:, 0]), torch.sin(gaze[:, 0])
    cy, sy = torch.cos(gaze[:, 1]), torch.sin(gaze[:, 1])
    one, zero = torch.ones_like(cp), torch.zeros_like(cp)
    rx = torch.stack([one, zero, zero, zero, cp, -sp, zero, sp, cp], 1).view(-1, 3, 3)
    ry = torch.stack([cy, zero, sy, zero, one, zero, -sy, zero, cy], 1).view(-1, 3, 3)
    rot = ry @ rx
    groups = eyes.reshape(b, c // 3, 3, h, w).permute(0, 1, 3, 4, 2)  # row vectors last
    rotated = (groups @ rot[:, None, None]).permute(0, 1, 4, 2, 3).reshape(b, c, h, w)
    return rotated, torch.maximum(face, rotated)


def torch_zplane_render(density, features, ray_o, ray_d, z1, z2, num_samples):
    """Reference test-mode sampling + compositing for given per-sample outputs.

    ray_o (B, 3), ray_d (B, 3, N) unit; density (B, 1, N, S); features (B, C, N, S).
    Returns (points (B, 3, N, S), features (B, C, N), bg_alpha (B, 1, N)).
    """
    ray_l = -1.0 / ray_d[:, 2:3, :]  # (B, 1, N)
    rel1 = (ray_o[:, 2] - z1)[:, None, None]
    rel2 = (ray_o[:, 2] - z2)[:, None, None]
    t = torch.linspace(0.0, 1.0, num_samples + 1).view(1, 1, -1)
    zvals = rel1 * (1 - t) + rel2 * t  # (B, 1, S+1)
    dists = (zvals[..., 1:] - zvals[..., :-1]).unsqueeze(1) * ray_l.unsqueeze(-1)
    z = zvals[..., :-1].unsqueeze(1)  # (B, 1, 1, S)
    points = ray_o[:, :, None, None] + ray_d.unsqueeze(-1) * ray_l.unsqueeze(-1) * z
    alpha = 1.0 - torch.exp(-density * dists)
    trans = torch.cumprod(F.pad(1.0 - alpha + 1e-10, (1, 0), value=1.0), -1)[..., :-1]
    weights = alpha * trans
    return points, (weights * features).sum(-1), 1.0 - weights.sum(-1)
