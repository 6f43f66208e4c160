"""VGG16 feature taps and the perceptual feature extractor vs torch (random weights)."""

import jax
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from pretrained_torch_nets import images, randomize, to_nchw

import gazejax.convert
from gazejax.models.perceptual import VGGFeatures
from gazejax.nn.image_input import resize_square
from gazejax.nn.vgg import VGG16_LAYERS
from gazejax.torch_reference.vgg import VGG16

TAPS = ("conv1_1", "relu1_2", "relu2_2", "relu3_3", "relu4_3", "conv5_3", "pool5")


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    torch_net = randomize(VGG16(), seed=6)
    path = tmp_path_factory.mktemp("vgg") / "vgg16-397923af.pth"
    torch.save(torch_net.state_dict(), path)
    variables, info = gazejax.convert.convert("vgg16", [path])
    return torch_net, variables


def test_layer_names_follow_torchvision_indices():
    assert len(VGG16_LAYERS) == 31
    assert (VGG16_LAYERS[3], VGG16_LAYERS[15], VGG16_LAYERS[22], VGG16_LAYERS[28]) == (
        "relu1_2", "relu3_3", "relu4_3", "conv5_3")


def test_feature_taps_match_torch(converted):
    torch_net, variables = converted
    x = images(2, 32, seed=6)
    got = jax.jit(VGGFeatures(layers=TAPS, resize_to=None).apply)(variables, x)
    h = to_nchw(x)
    with torch.no_grad():
        for i, layer in enumerate(torch_net.features):
            h = layer(h)
            name = VGG16_LAYERS[i]
            if name in TAPS:
                want = h.numpy().transpose(0, 2, 3, 1)
                np.testing.assert_allclose(got[name], want, atol=1e-4, rtol=0, err_msg=name)
    assert set(got) == set(TAPS)


def test_resize_matches_torch_bilinear():
    x = images(1, 40, seed=7)
    want = F.interpolate(to_nchw(x, imagenet=False), size=(24, 24), mode="bilinear", align_corners=False)
    np.testing.assert_allclose(resize_square(x, 24), want.numpy().transpose(0, 2, 3, 1), atol=1e-5)


def test_unknown_layer_is_named():
    with pytest.raises(ValueError, match="relu9_9"):
        VGGFeatures(layers=("relu9_9",)).init(jax.random.key(0), np.zeros((1, 32, 32, 3), np.float32))
