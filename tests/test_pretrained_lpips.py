"""LPIPS-VGG v0.1 vs a torch re-statement of ``lpips.LPIPS(net='vgg')`` (random weights)."""

import jax
import numpy as np
import pytest
import torch
from pretrained_torch_nets import images, randomize, to_nchw

import gazejax.convert
from gazejax.cli import main
from gazejax.torch_reference.vgg import LPIPS, VGG16


@pytest.fixture(scope="module")
def torch_lpips():
    net = randomize(LPIPS(), seed=8)
    with torch.no_grad():  # LPIPS lin weights are non-negative
        for k in range(5):
            w = getattr(net, f"lin{k}").model[1].weight
            w.copy_(w.abs())
    return net


def test_full_state_dict_matches_torch(tmp_path, torch_lpips):
    torch.save(torch_lpips.state_dict(), tmp_path / "lpips_vgg.pth")
    assert main(["convert", "lpips", str(tmp_path / "lpips_vgg.pth"), "--out", str(tmp_path / "ck")]) == 0
    module, variables, _ = gazejax.convert.load(tmp_path / "ck")
    a, b = images(2, 32, seed=8), images(2, 32, seed=9)
    with torch.no_grad():
        want = torch_lpips(to_nchw(a, imagenet=False) * 2 - 1, to_nchw(b, imagenet=False) * 2 - 1).numpy()
    got = jax.jit(module.apply)(variables, a, b)
    np.testing.assert_allclose(got, want, atol=1e-4, rtol=0)
    assert np.all(want > 1e-3)
    np.testing.assert_allclose(module.apply(variables, a, a), 0.0, atol=1e-6)


def test_shipped_lin_file_plus_vgg_backbone_equals_full_file(tmp_path, torch_lpips):
    state = torch_lpips.state_dict()
    lin = {k: v for k, v in state.items() if k.startswith("lin")}  # like lpips/weights/v0.1/vgg.pth
    vgg = VGG16()
    for i, layer in enumerate(vgg.features):
        if isinstance(layer, torch.nn.Conv2d):
            slice_k = next(k for k, (lo, hi) in enumerate(LPIPS.SLICES) if lo <= i < hi) + 1
            layer.load_state_dict({p: state[f"net.slice{slice_k}.{i}.{p}"] for p in ("weight", "bias")})
    torch.save(lin, tmp_path / "vgg.pth")
    torch.save(vgg.state_dict(), tmp_path / "vgg16.pth")
    split, _ = gazejax.convert.convert("lpips", [tmp_path / "vgg.pth", tmp_path / "vgg16.pth"])
    torch.save(state, tmp_path / "full.pth")
    full, _ = gazejax.convert.convert("lpips", [tmp_path / "full.pth"])
    jax.tree.map(np.testing.assert_array_equal, split, full)
    with pytest.raises(gazejax.convert.ConversionError, match="missing Flax variable"):
        gazejax.convert.convert("lpips", [tmp_path / "vgg.pth"])


def test_foreign_scaling_constants_are_rejected(tmp_path, torch_lpips):
    state = dict(torch_lpips.state_dict())
    state["scaling_layer.shift"] = torch.zeros(1, 3, 1, 1)
    torch.save(state, tmp_path / "odd.pth")
    with pytest.raises(gazejax.convert.ConversionError, match="scaling_layer.shift"):
        gazejax.convert.convert("lpips", [tmp_path / "odd.pth"])
