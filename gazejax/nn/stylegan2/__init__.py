"""StyleGAN2 building blocks shared by EG3D's generator, discriminator and super-resolution.

Modules follow NVlabs' ``networks_stylegan2.py`` numerically (Karras et al.,
"Analyzing and Improving the Image Quality of StyleGAN", CVPR 2020, §2.2
weight demodulation, Eq. 1-3; equalized learning rate from ProGAN §4.1) but
in NHWC layout:

- :mod:`.bias_act`: bias + activation + gain + clamp (``bias_act.py``).
- :mod:`.upfirdn`: FIR up/down-sampling (``upfirdn2d.py``).
- :mod:`.conv_resample`: convolution fused with FIR resampling (``conv2d_resample.py``).
- :mod:`.transposed_conv`: the stride-2 transposed convolution of ``up=2``, with
  strided-convolution gradients (XLA:CPU's own kernel gradient is very slow).
- :mod:`.equalized`: equalized-lr dense and conv layers
  (``FullyConnectedLayer``, ``Conv2dLayer``).
- :mod:`.modulated_conv`: modulated convolution with demodulation.
- :mod:`.synthesis`: ``SynthesisLayer``, ``ToRGBLayer``, ``SynthesisBlock``.

Parameter names map one-to-one onto EG3D state_dict keys; each module's
docstring has the table (torch conv ``weight`` ``(O, I, kh, kw)`` becomes
``kernel`` ``(kh, kw, I, O)``; torch linear ``weight`` ``(O, I)`` becomes
``kernel`` ``(I, O)``).
"""

from gazejax.nn.stylegan2.bias_act import bias_act
from gazejax.nn.stylegan2.conv_resample import conv2d_resample
from gazejax.nn.stylegan2.equalized import EqualizedConv2d, EqualizedDense
from gazejax.nn.stylegan2.modulated_conv import modulated_conv2d
from gazejax.nn.stylegan2.synthesis import SynthesisBlock, SynthesisLayer, ToRGBLayer
from gazejax.nn.stylegan2.upfirdn import downsample2d, setup_filter, upfirdn2d, upsample2d

__all__ = [
    "EqualizedConv2d",
    "EqualizedDense",
    "SynthesisBlock",
    "SynthesisLayer",
    "ToRGBLayer",
    "bias_act",
    "conv2d_resample",
    "downsample2d",
    "modulated_conv2d",
    "setup_filter",
    "upfirdn2d",
    "upsample2d",
]
