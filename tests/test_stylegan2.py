"""Parity of gazejax.nn.stylegan2 with plain-torch StyleGAN2/EG3D layers (random weights, float32)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from jax.test_util import check_grads

from gazejax.torch_reference import stylegan2 as ref
from gazejax.nn import stylegan2 as sg

TOL = 1e-4


def _nhwc(t):
    return jnp.asarray(t.detach().numpy().transpose(0, 2, 3, 1))


def _nchw(a):
    return np.asarray(a).transpose(0, 3, 1, 2)


def _assert_close(jax_out, torch_out):
    np.testing.assert_allclose(_nchw(jax_out), torch_out.detach().numpy(), atol=TOL, rtol=0)


def _check_tree_matches(variables, converted):
    """The converted state_dict has exactly the module's variables, with the same shapes."""
    want = jax.tree_util.tree_map(jnp.shape, variables)
    got = jax.tree_util.tree_map(jnp.shape, converted)
    assert got == want


@pytest.mark.parametrize("up,down,padding", [(2, 1, (2, 1, 2, 1)), (1, 2, (1, 1, 1, 1)), (1, 1, (-1, 2, 0, -1))])
def test_upfirdn2d_matches_torch_with_asymmetric_filter(up, down, padding):
    torch.manual_seed(0)
    x = torch.randn(2, 3, 8, 8)
    f = torch.rand(4, 3)  # asymmetric: a flipped filter would show
    want = ref.upfirdn2d(x, f, up=up, down=down, padding=padding, gain=1.7)
    got = sg.upfirdn2d(_nhwc(x), f.numpy(), up=up, down=down, padding=padding, gain=1.7)
    _assert_close(got, want)


def test_setup_filter_and_upsample2d_match_torch():
    torch.manual_seed(1)
    x = torch.randn(1, 2, 5, 5)
    np.testing.assert_allclose(sg.setup_filter(), ref.setup_filter().numpy())
    _assert_close(sg.upsample2d(_nhwc(x), sg.setup_filter()), ref.upsample2d(x, ref.setup_filter()))
    assert sg.downsample2d(_nhwc(x[:, :, :4, :4]), sg.setup_filter()).shape == (1, 2, 2, 2)


def test_equalized_dense_matches_fully_connected_layer():
    torch.manual_seed(2)
    layer = ref.FullyConnectedLayer(16, 8, activation="lrelu", lr_multiplier=0.01, bias_init=0.5)
    with torch.no_grad():
        layer.bias.normal_()
    x = torch.randn(4, 16)
    module = sg.EqualizedDense(8, activation="lrelu", lr_multiplier=0.01, bias_init=0.5)
    variables = ref.to_flax(layer.state_dict())
    _check_tree_matches(module.init(jax.random.key(0), jnp.zeros((1, 16))), variables)
    got = module.apply(variables, jnp.asarray(x.numpy()))
    np.testing.assert_allclose(got, layer(x).detach().numpy(), atol=TOL, rtol=0)


@pytest.mark.parametrize("kernel_size,up,down", [(3, 1, 1), (3, 2, 1), (3, 1, 2), (1, 1, 2), (1, 2, 1)])
def test_equalized_conv_matches_conv2d_layer(kernel_size, up, down):
    torch.manual_seed(3)
    layer = ref.Conv2dLayer(4, 6, kernel_size, activation="lrelu", up=up, down=down, conv_clamp=0.8)
    with torch.no_grad():
        layer.bias.normal_()
    x = torch.randn(2, 4, 8, 8)
    module = sg.EqualizedConv2d(6, kernel_size, activation="lrelu", up=up, down=down, conv_clamp=0.8)
    variables = ref.to_flax(layer.state_dict())
    _check_tree_matches(module.init(jax.random.key(0), _nhwc(x)), variables)
    _assert_close(module.apply(variables, _nhwc(x), gain=1.3), layer(x, gain=1.3))


@pytest.mark.parametrize("up", [1, 2])
def test_synthesis_layer_matches_fused_modulated_conv(up):
    """Our unfused modulated conv equals NVlabs' fused grouped-conv path (Eq. 1-3)."""
    torch.manual_seed(4)
    layer = ref.SynthesisLayer(5, 7, w_dim=12, resolution=8 * up, up=up)
    with torch.no_grad():
        layer.noise_strength.fill_(0.3)
        layer.bias.normal_()
        layer.affine.bias.normal_()
    x, w = torch.randn(3, 5, 8, 8), torch.randn(3, 12)
    module = sg.SynthesisLayer(7, resolution=8 * up, up=up)
    variables = ref.to_flax(layer.state_dict())
    _check_tree_matches(module.init(jax.random.key(0), _nhwc(x), jnp.asarray(w.numpy()), "const"), variables)
    for mode in ("const", "none"):
        got = module.apply(variables, _nhwc(x), jnp.asarray(w.numpy()), mode)
        _assert_close(got, layer(x, w, mode))


def test_synthesis_layer_random_noise_uses_the_noise_key():
    module = sg.SynthesisLayer(4, resolution=4)
    x, w = jnp.ones((1, 4, 4, 3)), jnp.ones((1, 6))
    variables = module.init(jax.random.key(0), x, w, "none")
    variables["params"]["noise_strength"] = jnp.asarray(1.0)
    out = [module.apply(variables, x, w, "random", rngs={"noise": jax.random.key(k)}) for k in (1, 1, 2)]
    np.testing.assert_array_equal(out[0], out[1])
    assert not np.allclose(out[0], out[2])
    with pytest.raises(ValueError, match="noise_mode"):
        module.apply(variables, x, w, "bogus")


@pytest.mark.parametrize("upsample", [True, False])
def test_synthesis_block_matches_torch(upsample):
    torch.manual_seed(5)
    res = 16 if upsample else 8
    block = ref.SynthesisBlock(6, 8, w_dim=10, resolution=res, upsample=upsample, conv_clamp=2.0)
    x, img, ws = torch.randn(2, 6, 8, 8), torch.randn(2, 3, 8, 8), torch.randn(2, 3, 10)
    module = sg.SynthesisBlock(6, 8, resolution=res, upsample=upsample, conv_clamp=2.0)
    variables = ref.to_flax(block.state_dict())
    args = (_nhwc(x), _nhwc(img), jnp.asarray(ws.numpy()))
    _check_tree_matches(module.init(jax.random.key(0), *args, "none"), variables)
    got_x, got_img = module.apply(variables, *args, "none")
    want_x, want_img = block(x, img, ws, "none")
    _assert_close(got_x, want_x)
    _assert_close(got_img, want_img)


def test_synthesis_block_rejects_wrong_ws_count():
    module = sg.SynthesisBlock(4, 4, resolution=8)
    with pytest.raises(ValueError, match="ws of shape"):
        module.init(jax.random.key(0), jnp.zeros((1, 4, 4, 4)), None, jnp.zeros((1, 2, 8)))


def test_first_synthesis_block_starts_from_const():
    module = sg.SynthesisBlock(0, 8, resolution=4)
    ws = jnp.ones((2, 2, 6))
    variables = module.init(jax.random.key(0), None, None, ws, "none")
    x, img = module.apply(variables, None, None, ws, "none")
    assert variables["params"]["const"].shape == (4, 4, 8)
    assert x.shape == (2, 4, 4, 8) and img.shape == (2, 4, 4, 3)
    np.testing.assert_allclose(x[0], x[1])  # same w and no noise -> same output


def _slice_upfirdn(x, f, up, down, padding):
    """upfirdn2d with XLA's own gradient: the same slices, without the hand-written VJP."""
    from gazejax.nn.stylegan2 import upfirdn

    return upfirdn._filter(upfirdn._upsample_pad(x, up, padding), f, down)


@pytest.mark.parametrize("up,down,padding", [(2, 1, (2, 1, 2, 1)), (1, 2, (1, 1, 1, 1)), (1, 1, (-1, 2, 0, -1)),
                                             (2, 1, (1, 1, 1, 1)), (1, 2, (0, 0, 0, 0))])
def test_upfirdn2d_gradients_match_autodiff(up, down, padding):
    """The hand-written adjoint (up/down swapped, filter flipped) against XLA's transpose of the slices."""
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.standard_normal((2, 9, 8, 3)), jnp.float32)
    f = jnp.asarray(rng.uniform(size=(4, 3)), jnp.float32)  # asymmetric and non-square
    out = sg.upfirdn2d(x, f, up=up, down=down, padding=padding)
    g = jnp.asarray(rng.standard_normal(out.shape), jnp.float32)
    got = jax.vjp(lambda x, f: sg.upfirdn2d(x, f, up=up, down=down, padding=padding), x, f)[1](g)
    want = jax.vjp(lambda x, f: _slice_upfirdn(x, f, up, down, padding), x, f)[1](g)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=1e-5)
    # second order, as the R1 penalty differentiates the discriminator's input gradient
    def input_grad_norm(fn):
        return jax.grad(lambda x: jnp.sum(jax.grad(lambda x: jnp.sum(jnp.sin(fn(x))))(x) ** 2))(x)

    np.testing.assert_allclose(input_grad_norm(lambda x: sg.upfirdn2d(x, f, up=up, down=down, padding=padding)),
                               input_grad_norm(lambda x: _slice_upfirdn(x, f, up, down, padding)), atol=1e-4)


def test_upfirdn2d_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    x = jnp.asarray(rng.standard_normal((1, 5, 6, 2)), jnp.float32)
    f = jnp.asarray(rng.uniform(size=(4, 4)), jnp.float32)
    check_grads(lambda x, f: sg.upfirdn2d(x, f, up=2, padding=(2, 1, 1, 2)), (x, f), order=2, modes=["rev"],
                eps=1e-2, atol=1e-2, rtol=1e-2)


@pytest.mark.parametrize("crop", [0, 1])
def test_transposed_conv_gradients_match_autodiff(crop):
    """The adjoint-convolution VJP against XLA's gradient of the dilated convolution."""
    from gazejax.nn.stylegan2 import transposed_conv

    rng = np.random.default_rng(2)
    x = jnp.asarray(rng.standard_normal((2, 5, 6, 3)), jnp.float32)
    kernel = jnp.asarray(rng.standard_normal((3, 3, 3, 4)), jnp.float32)
    out = transposed_conv.transposed_conv2d(x, kernel, 2, crop)
    assert out.shape == (2, 4 * 2 + 3 - 2 * crop, 5 * 2 + 3 - 2 * crop, 4)
    np.testing.assert_array_equal(out, transposed_conv._transposed_conv(x, kernel, 2, crop))
    g = jnp.asarray(rng.standard_normal(out.shape), jnp.float32)
    got = jax.vjp(lambda x, k: transposed_conv.transposed_conv2d(x, k, 2, crop), x, kernel)[1](g)
    want = jax.vjp(lambda x, k: transposed_conv._transposed_conv(x, k, 2, crop), x, kernel)[1](g)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, atol=1e-4, rtol=1e-5)
    check_grads(lambda x, k: transposed_conv.transposed_conv2d(x, k, 2, crop), (x, kernel), order=1, modes=["rev"],
                eps=1e-2, atol=1e-2, rtol=1e-2)
