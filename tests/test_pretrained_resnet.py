"""Parity of gazejax.nn.resnet.ResNet with a torchvision-layout torch ResNet (random weights)."""

import jax
import numpy as np
import pytest
import torch
from pretrained_torch_nets import images, randomize, to_nchw

from gazejax.convert.resnet_keys import infer_resnet_depth, resnet_module_path
from gazejax.convert.state_dict import ConversionError
from gazejax.convert.tree import map_state_dict
from gazejax.nn.resnet import ResNet as FlaxResNet
from gazejax.torch_reference.resnet import ResNet


def _convert(torch_net, flax_net, x):
    state = {k: v.numpy() for k, v in torch_net.state_dict().items()}
    abstract = jax.eval_shape(flax_net.init, jax.random.key(0), x)
    return map_state_dict(state, resnet_module_path, abstract)


@pytest.mark.parametrize("depth, pool_stride", [(18, 2), (50, 2), (18, 1)])
def test_resnet_matches_torch(depth, pool_stride):
    x = images(2, 64, seed=depth)
    torch_net = randomize(ResNet(depth, pool_stride), seed=depth)
    flax_net = FlaxResNet(depth, stem_pool_stride=pool_stride)
    variables = _convert(torch_net, flax_net, x)
    with torch.no_grad():
        want = torch_net(torch.from_numpy(x.transpose(0, 3, 1, 2).copy())).numpy()
    got = np.asarray(jax.jit(flax_net.apply)(variables, x))
    assert got.shape == want.shape == (2, 512 if depth == 18 else 2048)
    np.testing.assert_allclose(got, want, atol=1e-4, rtol=0)
    assert np.abs(want).max() > 0.1  # the comparison is not between near-zero outputs


def test_train_mode_updates_batch_stats_like_torch_momentum():
    x = images(4, 32)
    torch_net = randomize(ResNet(18), seed=3)
    flax_net = FlaxResNet(18)
    variables = _convert(torch_net, flax_net, x)
    _, updates = flax_net.apply(variables, x, train=True, mutable=["batch_stats"])
    torch_net.train()
    with torch.no_grad():
        torch_net(to_nchw(x, imagenet=False))
    want = torch_net.bn1.running_mean.numpy()
    got = np.asarray(updates["batch_stats"]["bn1"]["mean"])
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_depth_is_inferred_from_keys():
    for depth in (18, 34, 50):
        state = {k: v.numpy() for k, v in ResNet(depth).state_dict().items()}
        assert infer_resnet_depth(state) == depth
    with pytest.raises(ConversionError, match="not a torchvision ResNet"):
        infer_resnet_depth({"layer1.0.conv1.weight": np.zeros((1,))})


def test_stage_taps_match_torch_stage_outputs():
    x = images(2, 64, seed=5)
    torch_net = randomize(ResNet(18), seed=5)
    flax_net = FlaxResNet(18, taps=("layer2", "layer4"))
    variables = _convert(torch_net, FlaxResNet(18), x)
    captured = {}
    for name in ("layer2", "layer4"):
        getattr(torch_net, name).register_forward_hook(
            lambda _m, _i, out, name=name: captured.__setitem__(name, out.detach().numpy()))
    with torch.no_grad():
        torch_net(torch.from_numpy(x.transpose(0, 3, 1, 2).copy()))
    got = jax.jit(flax_net.apply)(variables, x)
    assert got["layer2"].shape == (2, 8, 8, 128) and got["layer4"].shape == (2, 2, 2, 512)
    for name in ("layer2", "layer4"):
        np.testing.assert_allclose(got[name], captured[name].transpose(0, 2, 3, 1), atol=1e-4, rtol=0)
    with pytest.raises(ValueError, match="unknown ResNet taps"):
        FlaxResNet(18, taps=("relu1_2",)).init(jax.random.key(0), x)
