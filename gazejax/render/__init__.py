"""Neural rendering: tri-plane sampling, volume rendering and super-resolution (EG3D-style).

- :mod:`.grid_sample`: torch ``grid_sample`` (bilinear, zeros, align_corners=False), exactly.
- :mod:`.triplane`: EG3D's plane projection (XY, XZ, ZX), box warp, mean over planes.
- :mod:`.osg_decoder`: EG3D's OSG decoder MLP (features -> colour features, density).
- :mod:`.ray_sampling`: stratified depths, ray-box limits, importance (inverse-CDF) depths.
- :mod:`.ray_marcher`: MipRayMarcher2 compositing.
- :mod:`.eg3d_renderer`: the two-pass (coarse + importance) render over any field, chunked.
- :mod:`.superresolution`: ``SuperresolutionHybrid8XDC`` / ``4X`` / ``2X``.
- :mod:`.zplane`, :mod:`.neural_renderer`: GazeNeRF/HeadNeRF's z-plane sampling and
  compositing, and its neural renderer (feature map -> RGB).

Rays come from :func:`gazejax.geometry.eg3d_rays`; StyleGAN2 layers from
:mod:`gazejax.nn.stylegan2`. Reference: Chan et al., "Efficient
Geometry-aware 3D Generative Adversarial Networks" (CVPR 2022), §3-4.
"""
