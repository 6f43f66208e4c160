"""2-D convolution with optional FIR up- or down-sampling (StyleGAN2 ``conv2d_resample``).

The orders of operations are those of NVlabs' implementation, so results match
it to float rounding:

- ``up=2``: stride-2 transposed convolution (:mod:`.transposed_conv`), then the
  FIR filter (gain 4);
- ``down=2``: the FIR filter, then a stride-2 convolution (a 1x1 kernel
  filters-and-decimates first, then convolves);
- neither: a plain convolution with symmetric padding.

Up and down together are not used by StyleGAN2/EG3D and are rejected.
"""

import numpy as np
from jax import lax

from gazejax.nn.stylegan2.transposed_conv import transposed_conv2d
from gazejax.nn.stylegan2.upfirdn import upfirdn2d

_DIMS = ("NHWC", "HWIO", "NHWC")


def _conv(x, kernel, stride=1, padding=0):
    return lax.conv_general_dilated(
        x,
        kernel,
        window_strides=(stride, stride),
        padding=((padding, padding), (padding, padding)),
        dimension_numbers=_DIMS,
    )


def conv2d_resample(x, kernel, f=None, up=1, down=1, padding=0):
    """Convolve ``x`` with ``kernel``, up- or down-sampling with FIR filter ``f``.

    Args:
      x: ``(N, H, W, I)``.
      kernel: ``(kh, kw, I, O)`` (square kernels).
      f: ``(fh, fw)`` FIR filter (needed when ``up`` or ``down`` is 2).
      up, down: 1 or 2 (not both 2).
      padding: zero padding of the convolution, in input pixels.

    Returns:
      ``(N, H*up/down, W*up/down, O)`` for ``padding = k // 2``.
    """
    if up > 1 and down > 1:
        raise ValueError("conv2d_resample: up and down together are not supported")
    kh, kw = kernel.shape[:2]
    p0 = p1 = padding
    if up > 1 or down > 1:
        fh, fw = np.shape(f)
        assert fh == fw and kh == kw, "square filters and kernels only"
    if up > 1:
        p0 += (fw + up - 1) // 2
        p1 += (fw - up) // 2
        if kw == 1:
            x = _conv(x, kernel)
            return upfirdn2d(x, f, up=up, padding=(p0, p1, p0, p1), gain=up * up)
        p0 -= kw - 1
        p1 -= kw - up
        crop = max(min(-p0, -p1), 0)
        x = transposed_conv2d(x, kernel, up, crop)
        pad = (p0 + crop, p1 + crop, p0 + crop, p1 + crop)
        return upfirdn2d(x, f, padding=pad, gain=up * up)
    if down > 1:
        p0 += (fw - down + 1) // 2
        p1 += (fw - down) // 2
        if kw == 1:
            x = upfirdn2d(x, f, down=down, padding=(p0, p1, p0, p1))
            return _conv(x, kernel)
        x = upfirdn2d(x, f, padding=(p0, p1, p0, p1))
        return _conv(x, kernel, stride=down)
    return _conv(x, kernel, padding=padding)

