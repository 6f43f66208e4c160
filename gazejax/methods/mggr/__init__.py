"""MGGR / CFGR (Chen et al. 2020): coarse-to-fine eye-patch gaze redirection.

- ``gazemap``: the pictorial guidance ``F_s`` (Eq. 5) and ``Delta r_s`` (Eq. 4);
- ``coarse``: MGGR-C, the flow-warping encoder-decoder (Eq. 1-3);
- ``generator``: the conditional residual refiner (Eq. 6-7);
- ``discriminator``: the multi-task (adversarial + gaze) discriminator (Eq. 10-12);
- ``losses``: the objectives (Eq. 3, 8-13);
- ``layers``: conv blocks shared by the encoder-decoder and the generator.
"""
