"""Strided transposed convolution whose gradients are ordinary strided convolutions.

A stride-``s`` transposed convolution is the adjoint of a stride-``s``
convolution with the same kernel: ``<g, T_k(x)> = <C_k(g), x>``, where ``C_k``
correlates ``g`` with the forward kernel ``k`` (input and output channels
swapped) at stride ``s``. So its input gradient is ``C_k(g)``, and its kernel
gradient is the kernel gradient of ``C_k`` with ``x`` as the cotangent.

XLA derives the kernel gradient itself as a convolution over the
zero-dilated input, which XLA:CPU runs very slowly: on a 2-core x86-64 CPU,
a 3x3, 128 -> 128-channel, stride-2 transposed convolution of a
(8, 64, 64, 128) float32 batch took 5.2 s forward and backward with XLA's
own gradient, 0.41 s with this one (PyTorch: 0.23 s).
"""

import functools

import jax
import jax.numpy as jnp
from jax import lax

_DIMS = ("NHWC", "HWIO", "NHWC")


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3))
def transposed_conv2d(x, kernel, stride, crop):
    """Stride-``stride`` transposed convolution, torch ``conv_transpose2d(padding=crop)``.

    Args:
      x: ``(N, H, W, I)``.
      kernel: the forward kernel ``(k, k, I, O)`` (torch's ``w.transpose(0, 1)``
        before ``conv_transpose2d`` is only its (in, out) weight layout).
      stride: upsampling factor.
      crop: pixels removed from each border of the full transposed output.

    Returns:
      ``(N, (H - 1) * stride + k - 2 * crop, ..., O)``.
    """
    return _transposed_conv(x, kernel, stride, crop)


def _transposed_conv(x, kernel, stride, crop):
    # correlation of the zero-dilated input with the spatially flipped kernel
    kh, kw = kernel.shape[:2]
    return lax.conv_general_dilated(
        x, jnp.flip(kernel, (0, 1)), window_strides=(1, 1),
        padding=((kh - 1 - crop, kh - 1 - crop), (kw - 1 - crop, kw - 1 - crop)),
        lhs_dilation=(stride, stride), dimension_numbers=_DIMS)


def _forward(x, kernel, stride, crop):
    return _transposed_conv(x, kernel, stride, crop), (x, kernel)


def _backward(stride, crop, residuals, g):
    x, kernel = residuals
    kh, kw = kernel.shape[:2]
    # g padded so that a VALID stride-`stride` correlation returns x's rows and columns
    (h, w), (gh, gw) = x.shape[1:3], g.shape[1:3]
    pads = ((crop, stride * (h - 1) + kh - gh - crop, 0), (crop, stride * (w - 1) + kw - gw - crop, 0))
    g = lax.pad(g, jnp.zeros((), g.dtype), ((0, 0, 0), *pads, (0, 0, 0)))

    def adjoint(kernel_oi):
        return lax.conv_general_dilated(g, kernel_oi, (stride, stride), "VALID", dimension_numbers=_DIMS)

    dx, kernel_vjp = jax.vjp(adjoint, jnp.swapaxes(kernel, 2, 3))
    return dx, jnp.swapaxes(kernel_vjp(x)[0], 2, 3)


transposed_conv2d.defvjp(_forward, _backward)
