"""LiveGaze / RTGaze: image + gaze prompt -> tri-plane -> EG3D rendering.

- ``encoders``: E_h and E_l (Eq. 1), Live3D's DeepLabV3 + SegFormer encoders;
- ``gaze_encoder``: E_g; ``fusion``: the cross-attention of Eq. 2;
- ``triplane_decoder``: E_tri (Eq. 3); ``tri_encoder``: Eqs. 1-3 together;
- ``model``: the full model with the EG3D renderer (Eq. 4);
- ``build``: model from a config, input checks, fast init;
- ``inference``: loading a trained run and redirecting batches.

Training and losses (Eqs. 6-11): :mod:`gazejax.methods.livegaze.training`.
Equation numbers are the LiveGaze paper's; docs/equations.md maps each one.
"""
