"""Parity of the SegFormer, cross-attention and E_l encoder blocks with plain-torch references."""

import jax
import numpy as np
import pytest
import torch

from gazejax.torch_reference import livegaze as ref
from gazejax.methods.livegaze import encoders
from gazejax.nn import cross_attention, segformer

TOL = 1e-4
H = W = 8
DIM = 32


def _tokens(seed=1, n=2, length=H * W, dim=DIM):
    return np.random.default_rng(seed).normal(size=(n, length, dim)).astype(np.float32)


@pytest.mark.parametrize("sr_ratio", [1, 2])
def test_segformer_block_matches_torch(sr_ratio):
    torch_block = ref.randomize(ref.Block(DIM, num_heads=4, mlp_ratio=2, sr_ratio=sr_ratio))
    block = segformer.Block(num_heads=4, mlp_ratio=2, sr_ratio=sr_ratio)
    x = _tokens()
    variables = ref.convert(torch_block, block, x, (H, W))
    if sr_ratio > 1:
        # the spatial-reduction conv and its LayerNorm exist and were converted
        assert variables["params"]["attn"]["sr"]["kernel"].shape == (2, 2, DIM, DIM)
        assert "norm" in variables["params"]["attn"]
    expected = torch_block(torch.from_numpy(x), H, W).detach().numpy()
    got = np.asarray(block.apply(variables, x, (H, W)))
    np.testing.assert_allclose(got, expected, atol=TOL, rtol=0)


def test_mix_ffn_matches_torch():
    torch_mlp = ref.randomize(ref.Mlp(DIM, 64))
    mlp = segformer.MixFFN(hidden=64)
    x = _tokens(seed=2)
    variables = ref.convert(torch_mlp, mlp, x, (H, W))
    expected = torch_mlp(torch.from_numpy(x), H, W).detach().numpy()
    np.testing.assert_allclose(np.asarray(mlp.apply(variables, x, (H, W))), expected, atol=TOL, rtol=0)


def test_mix_ffn_depthwise_conv_mixes_neighbours():
    # the 3x3 depthwise conv is what carries position: a token change must
    # reach its spatial neighbour but not a far-away token
    mlp = segformer.MixFFN(hidden=16)
    x = _tokens(seed=3, n=1, dim=8)
    variables = mlp.init(jax.random.key(0), x, (H, W))
    bumped = x.copy()
    bumped[0, 0] += 1.0
    delta = np.abs(np.asarray(mlp.apply(variables, bumped, (H, W)) - mlp.apply(variables, x, (H, W))))
    assert delta[0, 1].max() > 1e-3  # right neighbour of token 0
    assert delta[0, H * W - 1].max() == 0.0  # opposite corner


def test_overlap_patch_embed_matches_torch():
    torch_embed = ref.randomize(ref.OverlapPatchEmbed(7, 2, 5, DIM))
    embed = segformer.OverlapPatchEmbed(embed_dim=DIM, patch_size=7, stride=2)
    image = np.random.default_rng(4).normal(size=(2, 16, 16, 5)).astype(np.float32)
    variables = ref.convert(torch_embed, embed, image)
    expected, h, w = torch_embed(ref.nchw(image))
    got, hw = embed.apply(variables, image)
    assert hw == (h, w) == (8, 8)
    np.testing.assert_allclose(np.asarray(got), expected.detach().numpy(), atol=TOL, rtol=0)


def test_cross_attention_matches_torch():
    torch_attn = ref.randomize(ref.CrossAttention(DIM, 24, heads=2, dim_head=16))
    attn = cross_attention.CrossAttention(heads=2, head_dim=16)
    x = _tokens(seed=5)
    context = _tokens(seed=6, length=6, dim=24)
    variables = ref.convert(torch_attn, attn, x, context)
    expected = torch_attn(torch.from_numpy(x), torch.from_numpy(context)).detach().numpy()
    np.testing.assert_allclose(np.asarray(attn.apply(variables, x, context)), expected, atol=TOL, rtol=0)


def test_cross_attention_output_depends_on_context():
    attn = cross_attention.CrossAttention(heads=2, head_dim=8)
    x, context = _tokens(seed=7, dim=16), _tokens(seed=8, length=4, dim=16)
    variables = attn.init(jax.random.key(0), x, context)
    a = np.asarray(attn.apply(variables, x, context))
    b = np.asarray(attn.apply(variables, x, context[:, ::-1] * 2.0))
    assert a.shape == x.shape
    assert np.abs(a - b).max() > 1e-3


def test_low_frequency_encoder_matches_torch():
    # DeepLabV3 (ResNet without BN, ASPP with its pooling branch) + ViT + pixel shuffle + upsampling
    sizes = dict(widths=(8, 16), blocks=(2, 2), aspp=16, rates=(1, 2, 3), token_dim=32, depth=2,
                 heads=2, mid=8, channels=6)
    torch_encoder = ref.randomize(ref.LowFrequencyEncoder(5, **sizes), fan_in_scaled=True)
    encoder = encoders.LowFrequencyEncoder(
        channels=6, mid_channels=8, token_dim=32, depth=2, heads=2, resnet_widths=(8, 16),
        resnet_blocks=(2, 2), aspp_channels=16, aspp_rates=(1, 2, 3),
    )
    image = np.random.default_rng(9).normal(size=(2, 32, 32, 5)).astype(np.float32)
    variables = ref.convert(torch_encoder, encoder, image)
    expected = ref.nhwc(torch_encoder(ref.nchw(image)))
    got = np.asarray(jax.jit(encoder.apply)(variables, image))
    assert got.shape == (2, 16, 16, 6)
    np.testing.assert_allclose(got, expected, atol=TOL, rtol=0)


@pytest.mark.parametrize("sr_ratio", [1, 2])
def test_segformer_block_memory_options_change_nothing_but_memory(sr_ratio):
    # query chunks that do not divide the 64 tokens (a padded last chunk) and a
    # rematerialised block: same parameters, outputs and gradients as the plain block
    plain = segformer.Block(num_heads=4, mlp_ratio=2, sr_ratio=sr_ratio)
    lean = segformer.make_block(remat=True, num_heads=4, mlp_ratio=2, sr_ratio=sr_ratio, query_chunk=24)
    x = _tokens(seed=4)
    variables = plain.init(jax.random.key(0), x, (H, W))
    lean_variables = lean.init(jax.random.key(0), x, (H, W))
    assert jax.tree.structure(lean_variables) == jax.tree.structure(variables)
    np.testing.assert_allclose(lean.apply(variables, x, (H, W)), plain.apply(variables, x, (H, W)),
                               atol=1e-5, rtol=0)

    def grads(block):
        return jax.grad(lambda v, x: (block.apply(v, x, (H, W)) ** 2).sum(), argnums=(0, 1))(variables, x)

    for got, want in zip(jax.tree.leaves(grads(lean)), jax.tree.leaves(grads(plain))):
        np.testing.assert_allclose(got, want, atol=1e-4 * float(np.abs(want).max()), rtol=0)


def test_attention_query_chunks_hold_less_in_the_backward_pass():
    # what query_chunk is for: the compiled gradient of chunked attention needs
    # far less than the (L, L') weights of all queries at once
    q = k = v = np.random.default_rng(5).normal(size=(1, 1024, 2, 8)).astype(np.float32)

    def temp_bytes(chunk):
        grad = jax.jit(jax.grad(lambda q: segformer.attend(q, k, v, chunk).sum()))
        return grad.lower(q).compile().memory_analysis().temp_size_in_bytes

    weights_bytes = 1024 * 1024 * 2 * 4
    assert temp_bytes(None) >= weights_bytes
    assert temp_bytes(64) < weights_bytes / 4
