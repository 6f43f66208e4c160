"""Plain ``torch.nn`` reference networks, for parity tests and PyTorch-vs-JAX benchmarks.

Each module rebuilds one family of networks the way its original PyTorch code
writes it (NCHW, float32), with the released checkpoints' state_dict key names,
so that a parity test can convert its weights with ``gazejax.convert`` and
compare outputs, and ``gazejax bench`` can time the same network in PyTorch:

- ``stylegan2``: EG3D's StyleGAN2 ops and layers, its super-resolution module;
- ``eg3d_renderer``: EG3D's tri-plane sampling, decoder, samplers and renderer;
- ``eg3d``: EG3D's TriPlaneGenerator and DualDiscriminator, at any size;
- ``resnet``: torchvision's ResNet, L2CS-Net, GazeNeRF's ResNet estimator;
- ``vgg``: torchvision's VGG16, GazeNeRF's VGG estimator, LPIPS;
- ``inception``: pytorch-fid's FID Inception-v3;
- ``gazenerf``: GazeNeRF's MLP, neural renderer, eye rotation, z-plane render;
- ``livegaze``: LiveGaze's SegFormer / cross-attention / Live3D encoder blocks.

The modules import torch, an optional dependency (``pip install
'gazejax[torch]'``); only the tests and the benchmarks import them, the
latter inside the functions that need torch.
"""
