"""MGGR (multimodal-guided gaze redirection): coarse flow warping + residual refiner GAN.

On 64x64 eye patches; where each equation lives in the code: docs/equations.md.

Config argument: a base variant, then options (``configs/mggr.py:synthgaze,ablation=no_flow``).

Base variants:
  paper          ColumbiaGaze eye patches as the paper (Sec. 4.1; data from
                 ``python data_prep/columbia.py``): batch 8, Adam (0.5, 0.999),
                 lr 1e-4 (MGGR-C) and 2e-4 (G, D), constant for 20k steps then
                 linear decay to 0; lambda_1..6 = 5, 0.1, 100, 100, 10, 1.
                 The paper gives no total; we train each stage 100k steps
                 (Fig. 8's longest run).
  synthgaze      the paper's losses and weights on SynthGaze eye patches (100
                 identities x 8 frames x 2 views, 10 held out), with
                 networks a quarter as wide and 500 + 500 steps (constant
                 for the first 250 of each): ~10 min on this 2-core CPU.
  tiny           seconds on a CPU: 16x16 patches, narrow nets, 6 + 6 steps.
  eth_xgaze      ``paper`` on eye patches cut from ETH-XGaze faces re-normalized
                 at 512^2 (``python data_prep/eth_xgaze.py raw --root XGAZE
                 --frames 10``; docs/datasets.md), pairs of one camera.

Options:
  ablation=coarse_only    MGGR-C alone (the paper's "MGGRC", Table 1).
  ablation=no_perceptual  without the VGG feature and style losses (Fig. 6/7 A).
  ablation=no_residual    G outputs the image, not a residual (Fig. 6/7 B).
  ablation=no_flow        the decoder outputs the image, not a flow (Fig. 6/7 C).
  ablation=no_gazemap     guidance = the angle difference only (Fig. 6/7 D).
  eval_on=columbia        with ``:eth_xgaze``: evaluate the model trained on
                          ETH-XGaze on ColumbiaGaze eye patches (``python
                          data_prep/columbia.py``; GazeNeRF's Table 2 cross-dataset
                          protocol, docs/datasets.md), pairs of one head pose, the
                          test subjects 51-56 (``data.eval_split=train``: the other 50).
                          ``eval_on=mpiifacegaze`` and ``eval_on=gazecapture`` refuse:
                          their records carry no eye patches, and GazeCapture no gaze angles.

``num_steps`` is derived: schedule.coarse_steps + schedule.fine_steps.

The perceptual terms need ``loss.perceptual_checkpoint``: ImageNet VGG16 as in
the paper (``gazejax convert vgg16 vgg16-397923af.pth --out DIR``; content
conv5_3, style conv1_2..conv4_3). Without VGG16 weights, the SynthGaze
eye-patch judge stands in on ``:synthgaze`` (``configs/l2cs.py:eye_patches``,
exported to ``runs/l2cs_eyes/estimator``; content layer3, style layer1,
layer2). With no checkpoint the terms are off (a warning says so).
"""

import ml_collections

from gazejax.train.config_args import parse_config_arg
from gazejax.train.config_loading import ConfigError

BASES = ("paper", "tiny", "synthgaze", "eth_xgaze")
ABLATIONS = ("coarse_only", "no_perceptual", "no_residual", "no_flow", "no_gazemap")
EVAL_ON = ("columbia", "mpiifacegaze", "gazecapture")
# Why MGGR cannot be evaluated on the other cross-dataset targets.
_CANNOT_EVALUATE_ON = {
    "mpiifacegaze": "MGGR redirects eye patches and MPIIFaceGaze records carry none "
                    "(its 6 landmarks give two corners per eye; the patch crop needs each eye's 6-point contour)",
    "gazecapture": "MGGR redirects eye patches with gaze angles and GazeCapture records carry neither "
                   "(only eye boxes and the dot target in cm)",
}


def _stages(c, coarse_steps, fine_steps, constant_steps):
    c.schedule.coarse_steps, c.schedule.fine_steps = coarse_steps, fine_steps
    c.optim.constant_steps = constant_steps


def _ablate(c, ablation):
    if ablation == "coarse_only":
        c.schedule.fine_steps = 0
    elif ablation == "no_perceptual":
        c.loss.g_feature = c.loss.g_style = 0.0
    elif ablation == "no_residual":
        c.model.residual = False
    elif ablation == "no_flow":
        c.model.predict_flow = False
    elif ablation == "no_gazemap":
        c.model.use_gazemap = False


def get_config(arg=None):
    variant, options = parse_config_arg(arg, BASES, {"ablation": ABLATIONS, "eval_on": EVAL_ON})
    if options["eval_on"] in _CANNOT_EVALUATE_ON:
        raise ConfigError(f"mggr cannot be evaluated on {options['eval_on']}: "
                          f"{_CANNOT_EVALUATE_ON[options['eval_on']]}")
    if options["eval_on"] and variant != "eth_xgaze":
        raise ConfigError(f"eval_on evaluates a model trained on ETH-XGaze: use "
                          f"configs/mggr.py:eth_xgaze,eval_on={options['eval_on']}, not {variant!r}")
    c = ml_collections.ConfigDict()
    c.method = "mggr"
    c.seed = 0
    c.compute_dtype = "float32"  # or "bfloat16": parameters, optimizer state and losses stay float32
    c.batch_size = 8
    c.log_every = 100
    c.checkpoint_every = 5000
    c.sample_every = 5000
    c.keep_checkpoints = 3
    c.best_metric = "psnr"
    c.best_mode = "max"
    c.data = ml_collections.ConfigDict(dict(
        builder="gazejax.data.columbia:make_source", dir="", split="train", eval_split="test",
        pairs=True, same_camera=True, num_threads=2, eyes=("left", "right"),
        # read by the synthgaze builder only
        resolution=128, identities=200, frames=20, views=9, test_identities=20, seed=0,
        one_light=False,  # True: every frame of an identity under one light (pairs differ in gaze only)
    ))
    c.model = ml_collections.ConfigDict(dict(
        patch_size=64,
        # largest |r_b - r_a| on ColumbiaGaze: V in +-10, H in +-15 degrees
        angle_scale_deg=(20.0, 30.0),
        use_gazemap=True, predict_flow=True, residual=True,
        max_flow=16.0,  # pixels; a quarter of the patch
        coarse_features=(32, 64, 128, 256),
        generator_features=(64, 128, 256), generator_blocks=6,
        discriminator_features=(64, 128, 256, 512), head_features=512,
    ))
    c.schedule = ml_collections.ConfigDict(dict(coarse_steps=0, fine_steps=0))
    c.optim = ml_collections.ConfigDict(dict(coarse_lr=1e-4, lr=2e-4, b1=0.5, b2=0.999,
                                             constant_steps=0))
    c.num_steps = c.schedule.get_ref("coarse_steps") + c.schedule.get_ref("fine_steps")
    _stages(c, 100_000, 100_000, 20_000)
    c.loss = ml_collections.ConfigDict(dict(
        d_gaze=5.0, g_recon=0.1, g_feature=100.0, g_style=100.0, g_gaze=10.0, g_adv=1.0,
        perceptual_checkpoint="",
        # PRGAN's layers (the paper: "the 5th layer"; Gram style over layers j = 1..J)
        content_layer="relu5_3", style_layers=("relu1_2", "relu2_2", "relu3_3", "relu4_3"),
    ))
    c.eval = ml_collections.ConfigDict(dict(
        num_batches=50,
        bucket_deg=5.0, max_bucket_deg=50.0,  # Fig. 5: |d pitch| + |d yaw| groups 0..50
        lpips_checkpoint="",  # `gazejax convert lpips ...`; "" = no LPIPS
        fid_checkpoint="",  # `gazejax convert inception-fid ...` dir; "" = no FID
        estimator_checkpoint="",  # converted gaze-estimator dir for the gaze error; "" = none
    ))

    if variant in ("synthgaze", "tiny"):
        # 64^2 faces: the eye patches have their own 64^2 crop cameras whatever the face size.
        c.data.update(dict(builder="synthgaze", resolution=64, identities=100, frames=8, views=2,
                           test_identities=10))
        # SynthGaze head-frame gaze spans +-25 (pitch) / +-35 (yaw) degrees
        c.model.angle_scale_deg = (50.0, 70.0)
        c.model.update(dict(coarse_features=(16, 32, 64, 128), generator_features=(16, 32, 64),
                            generator_blocks=3, discriminator_features=(16, 32, 64, 128),
                            head_features=128))
        _stages(c, 500, 500, 250)
        c.log_every, c.checkpoint_every, c.sample_every = 50, 500, 500
    if variant == "synthgaze":
        # taps of the eye-patch judge, which stands in for VGG16 here
        c.loss.update(dict(content_layer="layer3", style_layers=("layer1", "layer2")))
    if variant == "tiny":
        c.data.update(dict(identities=4, frames=2, views=2, test_identities=1, num_threads=0))
        c.model.update(dict(patch_size=16, max_flow=4.0, coarse_features=(8, 16),
                            generator_features=(8, 16), generator_blocks=1,
                            discriminator_features=(8, 16), head_features=8))
        c.eval.num_batches = 1
        _stages(c, 6, 6, 3)
        c.log_every, c.checkpoint_every, c.sample_every = 3, 12, 12
    if variant == "eth_xgaze":
        # eye patches cut from faces re-normalized at 512^2 (docs/datasets.md); the last
        # 4 of 80 subject-major subjects are held out
        c.data.update(dict(builder="tfds:eth_xgaze/raw512_focal1600_dist680_frames10",
                           split="train[:95%]", eval_split="train[95%:]"))
        # pairs of one camera differ by up to the whole gaze range, far wider than Columbia's
        c.model.angle_scale_deg = (90.0, 120.0)
    if options["eval_on"] == "columbia":
        # only the evaluation data changes: the model keeps ETH-XGaze's angle scale, pairs one head pose
        c.data.update(dict(builder="gazejax.data.columbia:make_source", eval_split="test"))
    if options["ablation"]:
        _ablate(c, options["ablation"])
    return c
