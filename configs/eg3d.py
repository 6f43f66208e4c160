"""Gaze-corrected EG3D: the EG3D tri-plane GAN, optionally with the gaze-face alignment loss.

Architecture, equations and every field: docs/eg3d.md.

Config argument: a base variant, then options (``configs/eg3d.py:synthgaze,gaze=on``).

Base variants:
  paper       EG3D FFHQ 512 as released (``ffhq512-128.pkl``): 256^2 x 96-channel
              tri-planes, 48 + 48 samples, SuperresolutionHybrid8XDC, neural
              resolution 64 -> 128, batch 32, G lr 0.0025, D lr 0.002, R1 gamma 1,
              density reg 0.25, GPC 0.5. Data: any TFDS dataset of 512^2 images
              with 25-number EG3D ``camera`` labels (``data.builder``);
              ``model.resume``: a ``gazejax convert eg3d`` directory (or an EG3D run
              of gazejax) to fine-tune from.
  ffhq        ``paper`` on FFHQ in EG3D's layout, x-flipped as EG3D's ``--mirror=1``:
              ``python data_prep/ffhq_eg3d.py --source FFHQ_512.zip --add-mirror``
              writes ``tfds:ffhq_eg3d/r512_mirror`` into ``data.dir``. For "+DP",
              point ``data.builder`` at ``data_prep/eg3d_gaze_filter.py``'s output.
  synthgaze   the same losses and schedules on SynthGaze faces with narrow networks
              (64^2 planes, 32^2 raw render, 2X super-resolution to 128^2), sized
              for CPU hours.
  tiny        seconds on a CPU: 16^2 planes, 16^2 raw render, 4 + 4 samples, 4 steps.

Options:
  gaze=on     adds the gaze-face alignment loss (weight ``loss.gaze_weight``, 1 as
              the reference code) through ``loss.gaze_estimator_checkpoint``.
  bias=on     SynthGaze portraits with FFHQ's camera-facing gaze bias: the eyes
              look roughly where the face points (``data.gaze_spread`` 0.25 of
              SynthGaze's gaze range) and 80% of the records look into their
              camera instead (``data.camera_gaze_share``): the data of the
              paper's baseline.
  bias=control the same portraits without the camera-facing records: the
              unbiased control whose GFAS the biased baseline's is compared with.

Schedules are in thousands of images (kimg) as EG3D's; ``step * batch_size``
images have been shown at step ``step``.
"""

import ml_collections

from gazejax.train.config_args import parse_config_arg

BASES = ("paper", "ffhq", "synthgaze", "tiny")
# data_prep/ffhq_eg3d.py --add-mirror at 512^2: every image and its mirror with the flipped camera
FFHQ_BUILDER = "tfds:ffhq_eg3d/r512_mirror"


def get_config(arg=None):
    variant, options = parse_config_arg(arg, BASES, {"gaze": ("off", "on"), "bias": ("off", "on", "control")})
    c = ml_collections.ConfigDict()
    c.method = "eg3d"
    c.seed = 0
    c.compute_dtype = "float32"  # or "bfloat16": parameters, optimizer state and losses stay float32
    c.batch_size = 32
    c.num_steps = 25_000_000 // 32  # EG3D's default 25,000 kimg
    c.log_every = 100
    c.checkpoint_every = 5000
    c.sample_every = 5000
    c.keep_checkpoints = 3
    # GAN losses do not rank checkpoints by quality; the newest is kept as well
    c.best_metric = "g_adv"
    c.best_mode = "min"
    c.data = ml_collections.ConfigDict(dict(
        builder="synthgaze", dir="", split="train", eval_split="test", pairs=False, same_camera=None,
        num_threads=2, resolution=512, identities=200, frames=20, views=9, test_identities=20, seed=0,
        one_light=False,
        camera_gaze_share=0.0,  # SynthGaze: share of records that look into their camera
        gaze_spread=1.0,  # SynthGaze: scales the head-frame gaze range (25 deg pitch, 35 deg yaw)
    ))
    c.model = ml_collections.ConfigDict(dict(
        z_dim=512, w_dim=512, mapping_layers=2,
        plane_resolution=256, plane_channels=32, channel_base=32768, channel_max=512,
        decoder_hidden=64, sr_variant="8XDC", sr_widths=(),  # () = the variant's own widths
        ray_start=2.25, ray_end=3.3, n_coarse=48, n_fine=48, box_warp=1.0, chunk_rays=0,  # 0 = all rays at once
        c_scale=1.0,
        d_channel_base=32768, d_channel_max=512, d_conv_clamp=256.0, d_mapping_layers=8, mbstd_group_size=4,
        resume="",  # a `gazejax convert eg3d` directory, or an EG3D run: its G_ema (and D) start the run
    ))
    c.schedule = ml_collections.ConfigDict(dict(
        blur_init_sigma=10.0, blur_fade_kimg=200.0, blur_raw_target=True,  # fade over 200 * batch / 32 kimg
        gpc_reg_prob=0.5, gpc_reg_fade_kimg=1000.0,
        neural_rendering_resolution_initial=64, neural_rendering_resolution_final=128,  # 0 = no fade
        neural_rendering_resolution_fade_kimg=1000.0,
        ema_kimg=10.0, ema_rampup=0.05,  # half-life batch * 10 / 32 kimg
    ))
    c.optim = ml_collections.ConfigDict(dict(g_lr=0.0025, d_lr=0.002, b1=0.0, b2=0.99, eps=1e-8))
    c.loss = ml_collections.ConfigDict(dict(
        r1_gamma=1.0, d_reg_interval=16,
        density_reg=0.25, density_reg_p_dist=0.004, density_reg_points=1000, g_reg_interval=4,
        gaze_weight=0.0, gaze_estimator_checkpoint="",
        gaze_loss_form="mse",  # "mse": the reference code; "root": Eq. 1 as printed
        face_angle_formula="geometric",  # or "official" (its pitch has the other sign and scale)
        gaze_preprocessing="estimator",  # the estimator's own crop; "official": whole frame to 448^2
    ))
    c.eval = ml_collections.ConfigDict(dict(
        num_batches=0,
        estimator_checkpoint="",  # gaze estimator of GFAS; "" = the loss's
        gfas_seeds=1024, gfas_batch=8, truncation_psi=0.7, truncation_cutoff=14,
        view_yaw_offsets=(0.4, 0.0, -0.4), view_pitch_offset=-0.2,  # EG3D sampler h, v offsets (rad)
        pivot=(0.0, 0.0, 0.2), fov_deg=18.0,  # the evaluation scripts' int-cast FOV
        view_sheet_seeds=6,  # eg3d_views.png: the first seeds from every view, gaze drawn
        reference_faces=64,  # SynthGaze: true faces read from the same views (0 = none)
        identity_network="",  # 'package.module:factory' of a face embedding; "" = no identity consistency
        # FID and KID against data.split (EG3D's fid50k_full, kid50k_full); "" = skip both
        fid_checkpoint="",  # `gazejax convert inception-fid ...` dir
        fid_images=50_000, fid_real_images=0, fid_batch=8,  # real: 0 = the whole split
        fid_truncation_psi=1.0, kid_subsets=100, kid_subset_size=1000,
    ))

    if variant == "ffhq":
        # one split; FID's real images are the training images, as EG3D's fid50k_full
        c.data.update(dict(builder=FFHQ_BUILDER, split="train", eval_split="train"))
    if variant in ("synthgaze", "tiny"):
        c.data.update(dict(resolution=128, identities=100, frames=8, views=6, test_identities=10))
        c.model.update(dict(z_dim=128, w_dim=128, plane_resolution=64, plane_channels=16, channel_base=4096,
                            channel_max=128, decoder_hidden=32, sr_variant="2X", sr_widths=(32, 16),
                            n_coarse=24, n_fine=24, d_channel_base=4096, d_channel_max=128))
        c.schedule.update(dict(neural_rendering_resolution_initial=32, neural_rendering_resolution_final=0,
                               blur_fade_kimg=20.0, gpc_reg_fade_kimg=50.0, ema_kimg=1.0))
        c.batch_size = 8
        c.num_steps = 20_000
        c.log_every, c.checkpoint_every, c.sample_every = 100, 2000, 2000
        c.eval.update(dict(fid_images=1000, fid_real_images=1000))  # CPU minutes of Inception
    if variant == "tiny":
        c.data.update(dict(resolution=32, identities=3, frames=2, views=2, test_identities=1, num_threads=0))
        c.model.update(dict(z_dim=16, w_dim=16, plane_resolution=16, plane_channels=8, channel_base=128,
                            channel_max=16, decoder_hidden=8, sr_widths=(8, 4), n_coarse=4, n_fine=4,
                            d_channel_base=256, d_channel_max=16, d_mapping_layers=2))
        c.schedule.update(dict(neural_rendering_resolution_initial=16, blur_init_sigma=1.0, blur_fade_kimg=0.032,
                               gpc_reg_fade_kimg=0.024, ema_kimg=0.01))
        # regularisers every step: one compiled step (each phase compiles for ~1 min on 2 cores)
        c.loss.update(dict(d_reg_interval=1, g_reg_interval=1, density_reg_points=64))
        c.batch_size = 8  # the tests' 8 fake devices
        c.num_steps = 4
        c.log_every, c.checkpoint_every, c.sample_every = 1, 2, 4
        c.eval.update(dict(gfas_seeds=2, gfas_batch=2, fid_images=4, fid_real_images=4, fid_batch=4,
                           kid_subsets=10, reference_faces=2))
    if options["gaze"] == "on":
        c.loss.gaze_weight = 1.0
    if options["bias"] in ("on", "control"):
        if variant == "ffhq":
            raise ValueError(f"bias={options['bias']} builds SynthGaze portraits; FFHQ has the camera-facing "
                             "bias already")
        # portraits: with SynthGaze's whole gaze range, eyes fixed in the head score a worse GFAS
        # than eyes that look into every camera, so GFAS could not show the bias (docs/eg3d.md)
        c.data.gaze_spread = 0.25
        c.data.camera_gaze_share = 0.8 if options["bias"] == "on" else 0.0
    return c
