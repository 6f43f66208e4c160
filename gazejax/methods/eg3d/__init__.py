"""Gaze-corrected EG3D: the tri-plane GAN (Chan et al., CVPR 2022) with a gaze-face alignment loss.

Model modules: ``mapping.py`` (StyleGAN2 mapping network with camera
conditioning), ``backbone.py`` (the 'skip' synthesis network that draws the
tri-planes), ``generator.py`` (``TriPlaneGenerator``: backbone, OSG decoder,
two-pass renderer, super-resolution), ``discriminator.py`` (the dual
discriminator). ``schedules.py`` holds every training schedule as a pure
function of the step; ``losses.py`` the objectives; ``training.py`` the
trainer plug-in; ``evaluation.py`` (GFAS, pose error, identity similarity)
with ``fid_kid.py`` (FID, KID) is ``gazejax evaluate``; ``depth_teacher.py`` lends a trained run to LiveGaze as its depth
teacher; ``method.py`` assembles ``METHOD``. See docs/eg3d.md.
"""
