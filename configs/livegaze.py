"""LiveGaze / RTGaze: single-image 3D-aware gaze redirection.

Where each equation lives in the code: docs/equations.md.

Config argument: one base variant, then options (``configs/livegaze.py:eth_xgaze,eval_on=mpiifacegaze``).

Base variants:
  paper      Live3D "normal" encoder at 512^2 in/out, EG3D renderer (128^2
             neural render, 48+48 samples, SuperresolutionHybrid8XDC), paper's
             loss weights (Sec. 4.1) and AdamW 1e-5 / 1e-5, batch 4, 50 epochs
             of 14.4K images. Data: SynthGaze at 512^2 (200 identities).
  paper_lt   the same with Live3D's lighter "LT" encoder.
  synthgaze  a small model on SynthGaze at 128^2 in/out (100 identities, 32^2
             neural render, 2X super-resolution), sized for ~30 min of CPU training.
  tiny       a few-minute CPU demo on SynthGaze at 64^2 (6 identities, no
             super-resolution); also what the tests shrink further.
  eth_xgaze  ``paper`` on ETH-XGaze re-normalized at 512^2, GazeNeRF's 14.4K
             subset (``python data_prep/eth_xgaze.py raw --root XGAZE --frames
             10``; docs/datasets.md); the last 4 of the 80 subjects are held
             out for evaluation. No depth teacher ships: the depth term is off
             unless ``loss.depth_teacher`` names one.

Options:
  eval_on=columbia|mpiifacegaze|gazecapture  the cross-dataset evaluation of
             a model trained by ``:eth_xgaze`` (GazeNeRF's Table 2 protocol;
             docs/datasets.md). ``mpiifacegaze``: every person of MPIIFaceGaze
             normalized as ``:eth_xgaze`` (``data_prep/mpiifacegaze.py --size 512
             --focal 1600 --distance 680``), pairs inside each person;
             PSNR/SSIM/LPIPS over the whole image, since its records carry no
             face mask. The other two refuse with the reason: ColumbiaGaze's
             photos are not normalized (no camera label, no masks) and
             GazeCapture records no gaze angles.

Perceptual loss (Eq. 11): the paper uses ImageNet VGG16: set
``loss.perceptual_checkpoint`` to a directory written by ``gazejax convert
vgg16 ...`` (layers relu1_2..relu4_3). Without VGG16 weights, point it at the
SynthGaze-trained gaze judge (``runs/l2cs/estimator``) and set
``loss.perceptual_layers`` to its ResNet stages (``:synthgaze`` does:
layer1..layer3). With no checkpoint (the default) the term is off.
The depth teacher (Eq. 10) is SynthGaze's true depth unless
``loss.depth_teacher='package.module:factory'`` names a factory
``factory(config) -> fn(frontal_image, camera) -> depth (N, h, w)``.

Memory of a ``:paper`` training step (batch 4, ``gazejax bench train_memory``):
48.1 GB as configured. ``model.chunk_rays=4096`` renders in chunks,
``model.encoder.remat=True`` with ``model.encoder.query_chunk=2048`` recomputes
the ViT blocks in the backward pass (neither changes results), and
``num_microbatches=4`` accumulates the gradient over four slices of the batch
(a masked mean becomes the mean of each slice's): 9.0 GB with all of them.
"""

import ml_collections

from gazejax.data import mpiifacegaze
from gazejax.train.config_args import parse_config_arg
from gazejax.train.config_loading import ConfigError

BASES = ("paper", "paper_lt", "synthgaze", "tiny", "eth_xgaze")
# Why LiveGaze cannot be evaluated on the other cross-dataset targets (option eval_on).
_CANNOT_EVALUATE_ON = {
    "columbia": "ColumbiaGaze's face photos are not normalized, so its records carry no camera label "
                "for LiveGaze to render through (nor the face mask its evaluation scores inside)",
    "gazecapture": "GazeCapture records carry no gaze angles (only the dot target in cm), "
                   "which redirection needs as labels",
}

_ALL_MPII_PERSONS = "+".join(f"p{p:02d}" for p in range(mpiifacegaze.PERSONS))

# Live3D's encoder sizes: "normal" and the lighter "LT".
_NORMAL = dict(lite=False, feature_channels=96, low_depth=5)
_LITE = dict(lite=True, feature_channels=128, low_depth=2)


def _encoder(**overrides):
    encoder = dict(
        lite=False, feature_channels=96, stem_channels=64, mid_channels=128, wide_channels=256,
        token_dim=1024, low_depth=5, low_heads=4, final_heads=2, final_sr_ratio=2, mlp_ratio=2.0,
        resnet_widths=(64, 128), resnet_blocks=(3, 4), aspp_channels=256, aspp_rates=(12, 24, 36),
        gaze_tokens=16, gaze_hidden=256, gaze_frequencies=6, fusion_heads=4, fusion_head_dim=24,
        triplane_channels=32, normalized_coordinates=False,
        remat=False, query_chunk=ml_collections.config_dict.placeholder(int),  # memory, not results
    )
    encoder.update(overrides)
    return encoder


def get_config(arg=None):
    variant, options = parse_config_arg(arg, BASES, {"eval_on": ("mpiifacegaze", *_CANNOT_EVALUATE_ON)})
    if options["eval_on"] and variant != "eth_xgaze":
        raise ConfigError(f"eval_on evaluates a model trained on ETH-XGaze: use "
                          f"configs/livegaze.py:eth_xgaze,eval_on={options['eval_on']}, not {variant!r}")
    if options["eval_on"] in _CANNOT_EVALUATE_ON:
        raise ConfigError(f"livegaze cannot be evaluated on {options['eval_on']}: "
                          f"{_CANNOT_EVALUATE_ON[options['eval_on']]}")
    c = ml_collections.ConfigDict()
    c.method = "livegaze"
    c.seed = 0
    c.compute_dtype = "float32"  # or "bfloat16": parameters, optimizer state and losses stay float32
    c.num_steps = 180_000  # 50 epochs x 14.4K images / batch 4 (Sec. 4.1)
    c.batch_size = 4
    c.num_microbatches = 1  # slices of the batch whose gradients a step accumulates: memory / slices
    c.log_every = 100
    c.checkpoint_every = 5000
    c.sample_every = 5000
    c.keep_checkpoints = 3
    c.best_metric = "psnr_face"
    c.best_mode = "max"
    c.data = ml_collections.ConfigDict(dict(
        builder="synthgaze", resolution=512, identities=200, frames=20, views=9, test_identities=20,
        seed=0, dir="", split="train", eval_split="test", pairs=True,
        same_camera=ml_collections.config_dict.placeholder(bool), num_threads=2,
    ))
    c.eval = ml_collections.ConfigDict(dict(
        num_batches=50,
        # `gazejax convert`/trained estimator dir for gaze/head errors; "" = skip them
        estimator_checkpoint="",
        lpips_checkpoint="",  # `gazejax convert lpips ...` dir; "" = no LPIPS
        fid_checkpoint="",  # `gazejax convert inception-fid ...` dir; "" = no FID
        bucket_deg=5.0, max_bucket_deg=50.0,  # |d pitch| + |d yaw| groups of the redirections
    ))
    c.model = ml_collections.ConfigDict(dict(
        encoder=_encoder(**_NORMAL), neural_resolution=128, output_resolution=512, sr_variant="8XDC",
        sr_widths=ml_collections.config_dict.placeholder(tuple), w_dim=512, decoder_hidden=64,
        ray_start=2.25, ray_end=3.3, n_coarse=48, n_fine=48, box_warp=1.0,
        chunk_rays=ml_collections.config_dict.placeholder(int),
    ))
    c.optim = ml_collections.ConfigDict(dict(
        encoder_lr=1e-5, renderer_lr=1e-5, weight_decay=0.01, b1=0.9, b2=0.999, clip_norm=0.0,
    ))
    c.loss = ml_collections.ConfigDict(dict(
        reconstruction=1.0, face=1.0, eyes=2.0, depth=1.0, perceptual=0.8,  # Eqs. 6-7, Sec. 4.1
        perceptual_checkpoint="",
        perceptual_layers=("relu1_2", "relu2_2", "relu3_3", "relu4_3"),
        perceptual_layer_weights=(1.0, 1.0, 1.0, 1.0),
        depth_teacher="",
        # EG3D run directory or bundle that depth_teacher='gazejax.methods.eg3d.depth_teacher:from_config' renders
        depth_teacher_run="",
    ))
    if variant == "paper_lt":
        c.model.encoder = _encoder(**_LITE)
    elif variant == "synthgaze":
        _synthgaze(c)
    elif variant == "tiny":
        _tiny(c)
    elif variant == "eth_xgaze":
        _eth_xgaze(c)
        if options["eval_on"] == "mpiifacegaze":
            _evaluate_on_mpiifacegaze(c)
    return c


def _eth_xgaze(c):
    c.data.update(dict(builder="tfds:eth_xgaze/raw512_focal1600_dist680_frames10", resolution=512,
                       # records are subject-major and 80 subjects x 180 images: the last
                       # 5% are the last 4 subjects, faces the model never sees
                       split="train[:95%]", eval_split="train[95%:]"))
    c.loss.depth = 0.0


def _evaluate_on_mpiifacegaze(c):
    # the same normalization as :eth_xgaze's records; one split per person, all of them evaluated
    c.data.update(dict(builder=f"tfds:mpiifacegaze/norm{c.data.resolution}_focal1600_dist680",
                       split=_ALL_MPII_PERSONS, eval_split=_ALL_MPII_PERSONS))


def _synthgaze(c):
    # ~0.6-1.1 s/step measured on 2 busy CPU cores: 1500 steps fit ~30 min
    c.num_steps = 1500
    c.batch_size = 4
    c.log_every = 20
    c.checkpoint_every = 500
    c.sample_every = 500
    # Many identities with few frames each: the test identities are unseen faces.
    c.data.update(dict(resolution=128, identities=100, frames=4, views=4, test_identities=10))
    c.eval.num_batches = 25
    # The judge's ResNet stages stand in for VGG16 (loss.perceptual_checkpoint=runs/l2cs/estimator).
    c.loss.update(dict(perceptual_layers=("layer1", "layer2", "layer3"),
                       perceptual_layer_weights=(1.0, 1.0, 1.0)))
    c.model.encoder = _encoder(
        feature_channels=16, stem_channels=16, mid_channels=16, wide_channels=32, token_dim=64,
        low_depth=2, low_heads=2, final_heads=2, resnet_widths=(16, 32), resnet_blocks=(2, 2),
        aspp_channels=32, aspp_rates=(2, 4, 6), gaze_tokens=8, gaze_hidden=64, fusion_heads=2,
        fusion_head_dim=16, triplane_channels=16, normalized_coordinates=True,
    )
    c.model.update(dict(
        neural_resolution=32, output_resolution=128, sr_variant="2X", sr_widths=(16, 16), w_dim=64,
        decoder_hidden=32, ray_start=2.2, ray_end=3.2, n_coarse=12, n_fine=12,
    ))
    c.optim.update(dict(encoder_lr=1e-3, renderer_lr=1e-3, clip_norm=1.0))


def _tiny(c):
    c.num_steps = 150
    c.batch_size = 8
    c.log_every = 10
    c.checkpoint_every = 150
    c.sample_every = 0
    c.data.update(dict(resolution=64, identities=6, frames=4, views=2, test_identities=1))
    c.data.num_threads = 0
    c.eval.num_batches = 1
    c.model.encoder = _encoder(
        feature_channels=8, stem_channels=8, mid_channels=8, wide_channels=16, token_dim=32,
        low_depth=1, low_heads=2, final_heads=2, resnet_widths=(8, 16), resnet_blocks=(1, 1),
        aspp_channels=16, aspp_rates=(1, 2, 3), gaze_tokens=4, gaze_hidden=32, fusion_heads=2,
        fusion_head_dim=8, triplane_channels=8, normalized_coordinates=True,
    )
    c.model.update(dict(
        neural_resolution=32, output_resolution=64, sr_variant="none", w_dim=16, decoder_hidden=32,
        ray_start=2.2, ray_end=3.2, n_coarse=12, n_fine=12,
    ))
    c.optim.update(dict(encoder_lr=3e-3, renderer_lr=3e-3, clip_norm=1.0))
