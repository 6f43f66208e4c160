"""Gaze and perceptual losses: values on known cases, and finite non-zero image gradients."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from pretrained_torch_nets import random_variables

from gazejax.losses.gaze import functional_angular_loss, l2cs_alignment_loss, l2cs_loss
from gazejax.losses.perceptual import gram_matrix, gram_style_loss, lpips_loss, perceptual_loss
from gazejax.pretrained.gaze_estimator import estimate_angles
from gazejax.models.gazenerf_estimator import GazeNeRFEstimator
from gazejax.models.l2cs import BINNINGS, L2CS, logits_to_pitchyaw
from gazejax.models.lpips import LPIPS
from gazejax.models.perceptual import VGGFeatures
from gazejax.pretrained.perceptual import perceptual_network
from gazejax.nn.image_input import resize_square

KEY = jax.random.key(0)


def _images(seed, n=2, size=32):
    return jax.random.uniform(jax.random.fold_in(KEY, seed), (n, size, size, 3))


def _assert_useful_gradient(grad):
    assert bool(jnp.all(jnp.isfinite(grad)))
    assert float(jnp.max(jnp.abs(grad))) > 0.0


def test_l2cs_loss_is_cross_entropy_plus_alpha_mse():
    binning = BINNINGS["mpiigaze"]
    logits = jax.random.normal(KEY, (3, 28))
    target = jnp.array([-40.0, 0.5, 30.0])
    probs = jax.nn.softmax(logits)
    labels = np.digitize(np.asarray(target), np.arange(-42, 42, 3)) - 1
    ce = -np.mean(np.log(np.asarray(probs)[np.arange(3), labels]))
    expectation = np.sum(np.asarray(probs) * np.arange(28), 1) * 3 - 42
    want = ce + 2.0 * np.mean((expectation - np.asarray(target)) ** 2)
    np.testing.assert_allclose(l2cs_loss(logits, target, binning, alpha=2.0), want, rtol=1e-5)


def test_l2cs_alignment_loss_has_a_gradient_and_zero_at_its_own_prediction():
    # The gaze-corrected EG3D reference detaches this; ours must reach the image.
    net = L2CS(depth=18, num_bins=90)
    variables = random_variables(net, jnp.zeros((1, 32, 32, 3)))
    l2cs = functools.partial(net.apply, variables)
    loss_fn = functools.partial(l2cs_alignment_loss, l2cs, binning=BINNINGS["gaze360"], input_size=32)
    x = _images(1, size=40)
    target = jnp.array([[0.2, 0.43], [0.2, -0.43]])
    loss, grad = jax.jit(jax.value_and_grad(loss_fn))(x, target)
    assert float(loss) > 0
    _assert_useful_gradient(grad)
    own = jax.jit(lambda x: logits_to_pitchyaw(l2cs(resize_square(x, 32)), BINNINGS["gaze360"]))(x)
    np.testing.assert_allclose(jax.jit(loss_fn)(x, own), 0.0, atol=1e-10)


def test_functional_angular_loss():
    net = GazeNeRFEstimator()
    variables = random_variables(net, jnp.zeros((1, 32, 32, 3)))
    info = {"network": "gazenerf-vgg-estimator", "convention": "gazenerf", "input_size": 32}
    estimator = functools.partial(estimate_angles, net, variables, info)
    x, target = _images(2, size=24), _images(3, size=24)  # resized to the estimator's 32^2
    loss_fn = functools.partial(functional_angular_loss, estimator)
    grads = jax.jit(jax.grad(loss_fn, argnums=(0, 1)))
    assert float(jax.jit(loss_fn)(target, target)) == pytest.approx(0.0, abs=1e-3)
    grad_images, grad_target = grads(x, target)
    _assert_useful_gradient(grad_images)
    assert float(jnp.max(jnp.abs(grad_target))) == 0.0  # target branch detached
    assert bool(jnp.all(jnp.isfinite(grads(target, target)[0])))  # finite even at zero angle


def test_perceptual_and_style_losses():
    layers = ("relu1_2", "relu2_2")
    net = VGGFeatures(layers=layers, resize_to=None)
    variables = random_variables(net, jnp.zeros((1, 32, 32, 3)))
    features = functools.partial(net.apply, variables)
    a, b = _images(4), _images(5)

    def total(x):
        fa, fb = features(x), features(b)
        return perceptual_loss(fa, fb, layers, (1.0, 0.5)) + gram_style_loss(fa, fb, layers, (1.0, 1.0))

    fa, fb = jax.jit(features)(a), jax.jit(features)(b)
    want = np.mean(np.abs(fa["relu1_2"] - fb["relu1_2"])) + 0.5 * np.mean(np.abs(fa["relu2_2"] - fb["relu2_2"]))
    np.testing.assert_allclose(perceptual_loss(fa, fb, layers, (1.0, 0.5)), want, rtol=1e-5)
    loss, grad = jax.jit(jax.value_and_grad(total))(a)
    assert float(loss) > 0
    _assert_useful_gradient(grad)
    with pytest.raises(ValueError, match="one weight per layer"):
        perceptual_loss(fa, fb, layers, (1.0,))


def test_a_trained_l2cs_estimator_stands_in_as_perceptual_network(tmp_path):
    from gazejax import convert

    l2cs = L2CS(depth=18, num_bins=90)
    variables = random_variables(l2cs, jnp.zeros((1, 32, 32, 3)))
    info = {"network": "l2cs", "arch": "resnet18", "depth": 18, "binning": "gaze360", "num_bins": 90,
            "input_size": 32}
    convert.save(tmp_path / "judge", info, variables)
    net, frozen = perceptual_network(tmp_path / "judge", ("layer1", "layer3"))
    x = _images(4)
    features = jax.jit(net.apply)(frozen, x)
    assert features["layer1"].shape == (2, 8, 8, 64) and features["layer3"].shape == (2, 2, 2, 256)
    # the same backbone weights as the estimator: layer4, pooled, drives its heads
    pooled = jnp.mean(net.clone(layers=("layer4",)).apply(frozen, x)["layer4"], axis=(1, 2))
    logits = l2cs.apply(variables, x)
    np.testing.assert_allclose(pooled @ variables["params"]["fc_yaw_gaze"]["kernel"]
                               + variables["params"]["fc_yaw_gaze"]["bias"], logits["yaw"], atol=1e-4)
    loss, grad = jax.jit(jax.value_and_grad(
        lambda a: perceptual_loss(net.apply(frozen, a), features, ("layer1",), (1.0,))))(_images(5))
    assert float(loss) > 0
    _assert_useful_gradient(grad)
    with pytest.raises(ValueError, match="no layers .'relu1_2'.; its taps are layer1"):
        perceptual_network(tmp_path / "judge", ("relu1_2",))
    (tmp_path / "lpips").mkdir()
    (tmp_path / "lpips" / "network.json").write_text('{"network": "lpips"}')
    with pytest.raises(ValueError, match="holds 'lpips'"):
        perceptual_network(tmp_path / "lpips", ("layer1",))


def test_gram_matrix_normalisation():
    f = jnp.ones((1, 2, 3, 4))
    np.testing.assert_allclose(gram_matrix(f), np.full((1, 4, 4), 6 / 24))


def test_lpips_loss_gradient():
    net = LPIPS()
    variables = random_variables(net, jnp.zeros((1, 32, 32, 3)), jnp.zeros((1, 32, 32, 3)))
    variables = jax.tree.map(jnp.abs, variables)  # LPIPS lin weights are non-negative
    lpips = functools.partial(net.apply, variables)
    a, b = _images(6), _images(7)
    loss, grad = jax.jit(jax.value_and_grad(functools.partial(lpips_loss, lpips), argnums=1))(a, b)
    assert float(loss) > 0
    _assert_useful_gradient(grad)
