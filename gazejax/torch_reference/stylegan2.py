"""EG3D's StyleGAN2 ops and layers and its super-resolution module, in plain torch.

Written from NVlabs/eg3d (``networks_stylegan2.py``, ``superresolution.py``, the
pure-torch reference paths of ``torch_utils/ops``), NCHW, float32, with the
released checkpoints' state_dict key names. :func:`to_flax` maps such a
state_dict (of these layers, or of modules built from them) to gazejax variables.
"""

import math

import numpy as np
import torch
import torch.nn.functional as F

from gazejax.convert.dotted_keys import dotted_module_path


def setup_filter(taps=(1, 3, 3, 1)):
    f = torch.tensor(taps, dtype=torch.float32)
    f = torch.outer(f, f)
    return f / f.sum()


def upfirdn2d(x, f, up=1, down=1, padding=(0, 0, 0, 0), gain=1.0):
    n, c, h, w = x.shape
    px0, px1, py0, py1 = padding
    x = x.reshape(n, c, h, 1, w, 1)
    x = F.pad(x, [0, up - 1, 0, 0, 0, up - 1])
    x = x.reshape(n, c, h * up, w * up)
    x = F.pad(x, [max(px0, 0), max(px1, 0), max(py0, 0), max(py1, 0)])
    x = x[:, :, max(-py0, 0): x.shape[2] - max(-py1, 0), max(-px0, 0): x.shape[3] - max(-px1, 0)]
    f = (f * gain).flip([0, 1])[None, None].repeat(c, 1, 1, 1)
    x = F.conv2d(x, f, groups=c)
    return x[:, :, ::down, ::down]


def upsample2d(x, f, up=2):
    fw = f.shape[-1]
    p = [(fw + up - 1) // 2, (fw - up) // 2]
    return upfirdn2d(x, f, up=up, padding=[p[0], p[1], p[0], p[1]], gain=up * up)


def conv2d_resample(x, w, f=None, up=1, down=1, padding=0, groups=1, flip_weight=True):
    """EG3D's conv2d_resample (fast paths as in NVlabs' code), w = (O, I/g, k, k)."""
    kw = w.shape[-1]
    px0 = px1 = padding
    fw = f.shape[-1] if f is not None else 1
    if up > 1:
        px0 += (fw + up - 1) // 2
        px1 += (fw - up) // 2
    if down > 1:
        px0 += (fw - down + 1) // 2
        px1 += (fw - down) // 2
    pad4 = [px0, px1, px0, px1]
    if kw == 1 and down > 1 and up == 1:
        x = upfirdn2d(x, f, down=down, padding=pad4)
        return F.conv2d(x, w, groups=groups)
    if kw == 1 and up > 1 and down == 1:
        x = F.conv2d(x, w, groups=groups)
        return upfirdn2d(x, f, up=up, padding=pad4, gain=up * up)
    if down > 1 and up == 1:
        x = upfirdn2d(x, f, padding=pad4)
        return F.conv2d(x, w if flip_weight else w.flip([2, 3]), stride=down, groups=groups)
    if up > 1:
        o, ipg = w.shape[:2]
        if groups == 1:
            wt = w.transpose(0, 1)
        else:
            wt = w.reshape(groups, o // groups, ipg, kw, kw).transpose(1, 2).reshape(groups * ipg, o // groups, kw, kw)
        px0 -= kw - 1
        px1 -= kw - up
        pt = max(min(-px0, -px1), 0)
        # NVlabs' wrapper receives (not flip_weight) here, so it flips only when flip_weight is set.
        wt = wt.flip([2, 3]) if flip_weight else wt
        x = F.conv_transpose2d(x, wt, stride=up, padding=pt, groups=groups)
        return upfirdn2d(x, f, padding=[px0 + pt, px1 + pt, px0 + pt, px1 + pt], gain=up * up)
    return F.conv2d(x, w if flip_weight else w.flip([2, 3]), padding=padding, groups=groups)


ACT = {"linear": (lambda x: x, 1.0), "lrelu": (lambda x: F.leaky_relu(x, 0.2), math.sqrt(2))}


def bias_act(x, b=None, act="linear", gain=None, clamp=None, dim=1):
    if b is not None:
        shape = [1] * x.ndim
        shape[dim] = -1
        x = x + b.reshape(shape)
    fn, g = ACT[act]
    x = fn(x)
    gain = g if gain is None else gain
    if gain != 1:
        x = x * gain
    if clamp is not None:
        x = x.clamp(-clamp, clamp)
    return x


class FullyConnectedLayer(torch.nn.Module):
    def __init__(self, in_features, out_features, bias=True, activation="linear", lr_multiplier=1.0, bias_init=0.0):
        super().__init__()
        self.activation = activation
        self.weight = torch.nn.Parameter(torch.randn([out_features, in_features]) / lr_multiplier)
        self.bias = torch.nn.Parameter(torch.full([out_features], float(bias_init))) if bias else None
        self.weight_gain = lr_multiplier / math.sqrt(in_features)
        self.bias_gain = lr_multiplier

    def forward(self, x):
        w = self.weight * self.weight_gain
        b = None if self.bias is None else self.bias * self.bias_gain
        if self.activation == "linear" and b is not None:
            return torch.addmm(b.unsqueeze(0), x, w.t())
        return bias_act(x.matmul(w.t()), b, act=self.activation)


class Conv2dLayer(torch.nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size, bias=True, activation="linear", up=1, down=1, conv_clamp=None):
        super().__init__()
        self.activation, self.up, self.down, self.conv_clamp = activation, up, down, conv_clamp
        self.register_buffer("resample_filter", setup_filter())
        self.padding = kernel_size // 2
        self.weight_gain = 1 / math.sqrt(in_channels * kernel_size ** 2)
        self.act_gain = ACT[activation][1]
        self.weight = torch.nn.Parameter(torch.randn([out_channels, in_channels, kernel_size, kernel_size]))
        self.bias = torch.nn.Parameter(torch.zeros([out_channels])) if bias else None

    def forward(self, x, gain=1):
        w = self.weight * self.weight_gain
        x = conv2d_resample(x, w, self.resample_filter, self.up, self.down, self.padding, flip_weight=(self.up == 1))
        clamp = self.conv_clamp * gain if self.conv_clamp is not None else None
        return bias_act(x, self.bias, act=self.activation, gain=self.act_gain * gain, clamp=clamp)


def modulated_conv2d(x, weight, styles, noise=None, up=1, padding=0, resample_filter=None, demodulate=True, flip_weight=True):
    """The fused (grouped-conv, per-sample weight) path of NVlabs' modulated_conv2d."""
    n = x.shape[0]
    o, i, kh, kw = weight.shape
    w = weight.unsqueeze(0) * styles.reshape(n, 1, -1, 1, 1)
    if demodulate:
        d = (w.square().sum(dim=[2, 3, 4]) + 1e-8).rsqrt()
        w = w * d.reshape(n, -1, 1, 1, 1)
    x = x.reshape(1, -1, *x.shape[2:])
    w = w.reshape(-1, i, kh, kw)
    x = conv2d_resample(x, w, resample_filter, up=up, padding=padding, groups=n, flip_weight=flip_weight)
    x = x.reshape(n, -1, *x.shape[2:])
    if noise is not None:
        x = x + noise
    return x


class SynthesisLayer(torch.nn.Module):
    def __init__(self, in_channels, out_channels, w_dim, resolution, kernel_size=3, up=1, use_noise=True, conv_clamp=None):
        super().__init__()
        self.up, self.resolution, self.use_noise, self.conv_clamp = up, resolution, use_noise, conv_clamp
        self.padding = kernel_size // 2
        self.register_buffer("resample_filter", setup_filter())
        self.affine = FullyConnectedLayer(w_dim, in_channels, bias_init=1)
        self.weight = torch.nn.Parameter(torch.randn([out_channels, in_channels, kernel_size, kernel_size]))
        if use_noise:
            self.register_buffer("noise_const", torch.randn([resolution, resolution]))
            self.noise_strength = torch.nn.Parameter(torch.zeros([]))
        self.bias = torch.nn.Parameter(torch.zeros([out_channels]))

    def forward(self, x, w, noise_mode="none", gain=1):
        styles = self.affine(w)
        noise = None
        if self.use_noise and noise_mode == "const":
            noise = self.noise_const * self.noise_strength
        x = modulated_conv2d(x, self.weight, styles, noise=noise, up=self.up, padding=self.padding,
                             resample_filter=self.resample_filter, flip_weight=(self.up == 1))
        clamp = self.conv_clamp * gain if self.conv_clamp is not None else None
        return bias_act(x, self.bias, act="lrelu", gain=math.sqrt(2) * gain, clamp=clamp)


class ToRGBLayer(torch.nn.Module):
    def __init__(self, in_channels, out_channels, w_dim, kernel_size=1, conv_clamp=None):
        super().__init__()
        self.conv_clamp = conv_clamp
        self.affine = FullyConnectedLayer(w_dim, in_channels, bias_init=1)
        self.weight = torch.nn.Parameter(torch.randn([out_channels, in_channels, kernel_size, kernel_size]))
        self.bias = torch.nn.Parameter(torch.zeros([out_channels]))
        self.weight_gain = 1 / math.sqrt(in_channels * kernel_size ** 2)

    def forward(self, x, w):
        styles = self.affine(w) * self.weight_gain
        x = modulated_conv2d(x, self.weight, styles, demodulate=False)
        return bias_act(x, self.bias, clamp=self.conv_clamp)


class SynthesisBlock(torch.nn.Module):
    """'skip' SynthesisBlock; ``upsample=False`` is EG3D's SynthesisBlockNoUp."""

    def __init__(self, in_channels, out_channels, w_dim, resolution, img_channels=3, upsample=True, conv_clamp=None):
        super().__init__()
        self.upsample = upsample
        self.register_buffer("resample_filter", setup_filter())
        self.conv0 = SynthesisLayer(in_channels, out_channels, w_dim, resolution, up=2 if upsample else 1, conv_clamp=conv_clamp)
        self.conv1 = SynthesisLayer(out_channels, out_channels, w_dim, resolution, conv_clamp=conv_clamp)
        self.torgb = ToRGBLayer(out_channels, img_channels, w_dim, conv_clamp=conv_clamp)

    def forward(self, x, img, ws, noise_mode="none"):
        x = self.conv0(x, ws[:, 0], noise_mode)
        x = self.conv1(x, ws[:, 1], noise_mode)
        if img is not None and self.upsample:
            img = upsample2d(img, self.resample_filter)
        y = self.torgb(x, ws[:, 2])
        return x, (y if img is None else img + y)


class Superresolution(torch.nn.Module):
    """SuperresolutionHybrid8XDC / 4X / 2X (fp32, conv_clamp as given)."""

    LAYOUT = {  # name: (input_resolution, (ch0, up0, res0), (ch1, res1), resize_if)
        "8XDC": (128, (256, True, 256), (128, 512), "ne"),
        "4X": (128, (128, False, 128), (64, 256), "lt"),
        "2X": (64, (128, False, 64), (64, 128), "ne"),
    }

    def __init__(self, variant, channels=32, w_dim=512, conv_clamp=256, antialias=True, widths=None):
        super().__init__()
        self.input_resolution, b0, b1, self.resize_if = self.LAYOUT[variant]
        self.antialias = antialias
        c0, c1 = widths or (b0[0], b1[0])
        self.block0 = SynthesisBlock(channels, c0, w_dim, b0[2], upsample=b0[1], conv_clamp=conv_clamp)
        self.block1 = SynthesisBlock(c0, c1, w_dim, b1[1], conv_clamp=conv_clamp)

    def forward(self, rgb, x, ws, noise_mode="none"):
        ws = ws[:, -1:, :].repeat(1, 3, 1)
        r = self.input_resolution
        if (x.shape[-1] != r) if self.resize_if == "ne" else (x.shape[-1] < r):
            x = F.interpolate(x, size=(r, r), mode="bilinear", align_corners=False, antialias=self.antialias)
            rgb = F.interpolate(rgb, size=(r, r), mode="bilinear", align_corners=False, antialias=self.antialias)
        x, rgb = self.block0(x, rgb, ws, noise_mode)
        x, rgb = self.block1(x, rgb, ws, noise_mode)
        return rgb


def to_flax(state_dict):
    """EG3D-style state_dict -> gazejax variables ``{'params': ..., 'constants': ...}``.

    ``weight`` becomes ``kernel`` (Dense: transposed; conv: OIHW -> HWIO), the
    synthesis input ``const`` goes channels-last, ``noise_const`` buffers go to
    ``constants`` and the fixed ``resample_filter`` buffers are dropped (gazejax
    builds them).
    """
    out = {"params": {}, "constants": {}}
    for key, value in state_dict.items():
        *prefix, leaf = key.split(".")
        if leaf == "resample_filter":
            continue
        v = value.detach().cpu().numpy()
        collection = "params"
        if leaf == "weight":
            leaf, v = "kernel", (v.T if v.ndim == 2 else v.transpose(2, 3, 1, 0))
        elif leaf == "const":
            v = v.transpose(1, 2, 0)
        elif leaf == "noise_const":
            collection = "constants"
        node = out[collection]
        for p in dotted_module_path(".".join(prefix)) if prefix else ():
            node = node.setdefault(p, {})
        node[leaf] = np.asarray(v)
    if not out["constants"]:
        del out["constants"]
    return out
