"""``gazejax redirect``: redirect the gaze in a face crop, a photo or a video with a trained run.

    gazejax redirect --checkpoint RUN --image IN.png --gaze PITCH,YAW --out OUT.png
    gazejax redirect --checkpoint RUN --image PHOTO.jpg --gaze PITCH,YAW --out OUT.jpg [--region eyes]
    gazejax redirect --checkpoint RUN --video IN.mp4 --look-at-camera --out OUT.mp4
    gazejax redirect --checkpoint RUN --image IN.png --sweep SWEEP.png
    gazejax redirect --method gazenerf --checkpoint RUN [--h5 FILE] --index I --gaze P,Y --out OUT.png

The method is the run's own (``--method`` only checks it). GazeNeRF fits
each input first (:mod:`gazejax.commands.redirect_gazenerf`). An ``--image``
that is not a square at the model's resolution is a whole photo (or say so
with ``--input photo``): its faces are found, normalized, redirected with a
gaze in the photo's camera frame and pasted back
(:mod:`gazejax.commands.redirect_photo`, docs/photos.md); ``--video`` does
the same to every frame (:mod:`gazejax.commands.redirect_video`). The rest of this
docstring is about LiveGaze on normalized crops.

``--gaze`` is (pitch, yaw) in radians in the head frame; ``--camera-yaw`` /
``--camera-pitch`` (radians) move the virtual camera on EG3D's orbit. The
sweep is a grid: one row per camera yaw in ``--sweep-views``, the input first,
then one column per gaze yaw in ``--sweep-gaze`` (pitch 0), then the depth of
the middle gaze. The input must be a normalized face crop at the model's
resolution (read by :mod:`gazejax.commands.image_files`).

Before the run is loaded, every angle is checked finite and within its range
(:mod:`gazejax.commands.angles`: gaze and camera ``|pitch| <= pi/2``,
``|yaw| <= pi``) and every output path writable
(:mod:`gazejax.commands.outputs`); an output that is not finite is refused
and nothing is written.
"""

import pathlib

from gazejax.cli import UsageError
from gazejax.commands.angles import GAZE_LIMITS, GAZE_NAMES, PITCH_LIMIT, YAW_LIMIT, parse_angles
from gazejax.commands.image_files import read_rgb
from gazejax.commands.outputs import check_finite, check_image_destination, write_image
from gazejax.commands.photo_input import add_photo_arguments, check_photo_arguments
from gazejax.errors import first_line

HELP = "redirect the gaze in a face image"


METHODS = ("livegaze", "gazenerf")
# flags that only a LiveGaze run uses, and only a GazeNeRF run uses (None: not given); a GazeNeRF
# run refuses --image itself, saying what it takes instead
LIVEGAZE_FLAGS = {"camera_yaw": "--camera-yaw", "camera_pitch": "--camera-pitch", "depth_out": "--depth-out"}
GAZENERF_FLAGS = {"h5": "--h5", "fit_steps": "--fit-steps"}
INPUTS = ("auto", "crop", "photo")
# flags that only a whole photo uses (None or False: not given)
PHOTO_FLAGS = {"look_at_camera": "--look-at-camera", "focal": "--focal", "calibration": "--calibration",
               "landmarks": "--landmarks", "debug_dir": "--debug-dir", "allow_extrapolation": "--allow-extrapolation"}


def add_arguments(parser):
    parser.add_argument("--checkpoint", required=True,
                        help="training run directory (its workdir) or inference bundle (gazejax export --bundle)")
    parser.add_argument("--method", choices=METHODS,
                        help="the run's method (default: read from the run); a mismatch is an error")
    parser.add_argument(
        "--image",
        help="a whole photo whose faces are redirected and pasted back (LiveGaze, GazeNeRF, MGGR; "
        "docs/photos.md), or a normalized face crop at a LiveGaze model's resolution (PNG/JPEG; 8- or 16-bit, "
        "RGB or grayscale; opaque alpha is dropped, transparency refused); default: the first held-out face "
        "of the run's SynthGaze test split (a quick look at a trained model)",
    )
    parser.add_argument("--input", choices=INPUTS, default="auto",
                        help="what --image is: a normalized face crop or a whole photo (auto: a crop when it is "
                        "a square at the model's resolution)")
    parser.add_argument("--gaze", help=f"target gaze PITCH,YAW in radians (in a photo's camera frame; in a crop's "
                        f"head frame), |pitch| <= {PITCH_LIMIT} (pi/2), |yaw| <= {YAW_LIMIT} (pi); write it as "
                        "--gaze=-0.1,0.2 when it starts with -")
    parser.add_argument("--look-at-camera", action="store_true",
                        help="photo: every face looks into the lens (instead of --gaze)")
    parser.add_argument("--region", choices=("face", "eyes"), default="face",
                        help="photo: paste back the whole face or only the eyes (gaze correction)")
    parser.add_argument("--allow-extrapolation", action="store_true",
                        help="photo: redirect to a gaze outside the run's training range")
    parser.add_argument("--video", help="LiveGaze, MGGR: a video (.mp4, ...) whose every frame is redirected into "
                        "--out (.mp4/.mkv/.mov); audio is copied")
    parser.add_argument("--skip-missing", action="store_true",
                        help="video: write frames without a usable face unchanged and count them "
                        "(default: such a frame is an error)")
    parser.add_argument("--batch", type=int, default=8, help="video: frames per model call (default 8)")
    parser.add_argument("--smoothing", type=float, default=0.5,
                        help="video: the new frame's weight in the landmarks' moving average, in (0, 1] "
                        "(1: no smoothing; default 0.5)")
    add_photo_arguments(parser)
    parser.add_argument("--camera-yaw", help=f"LiveGaze: camera yaw in radians, |yaw| <= {YAW_LIMIT} "
                        "(default 0: frontal)")
    parser.add_argument("--camera-pitch", help=f"LiveGaze: camera pitch in radians, |pitch| <= {PITCH_LIMIT} "
                        "(default 0)")
    parser.add_argument("--out", help="output image (.png) of the redirected face; missing folders are created")
    parser.add_argument("--depth-out", help="LiveGaze, with --out: also write the rendered depth as a grey image")
    parser.add_argument("--sweep", help="output image (.png) of a gaze x view grid")
    parser.add_argument("--sweep-gaze", default="-0.4,-0.2,0,0.2,0.4",
                        help=f"gaze yaws of the sweep (radians, each |yaw| <= {YAW_LIMIT})")
    parser.add_argument("--sweep-views", default="-0.35,0,0.35",
                        help=f"LiveGaze: camera yaws of the sweep (radians, each |yaw| <= {YAW_LIMIT})")
    parser.add_argument("--h5", help="GazeNeRF: a per-subject h5 file (reference layout) to take the input from")
    parser.add_argument("--index", type=int, default=0,
                        help="GazeNeRF: input record index (>= 0) in --h5, or in the run's held-out split")
    parser.add_argument("--fit-steps", type=int,
                        help="GazeNeRF: fitting steps, >= 1 (default: the run's fit.num_steps)")


def run_method(config, workdir):
    """The method of a run's saved config (one of ``METHODS``)."""
    method = config.get("method")
    if method not in METHODS:
        raise UsageError(f"{workdir} holds a {method!r} run; redirect works with {', '.join(METHODS)} runs "
                         "(and mggr runs on whole photos and videos)")
    return method


def read_face(path, resolution):
    """An RGB face crop as float32 (R, R, 3) in [0, 1]; UsageError names what is wrong."""
    face = read_rgb(path)
    if face.shape[:2] != (resolution, resolution):
        raise UsageError(f"{path} is {face.shape[1]}x{face.shape[0]}; this model takes "
                         f"{resolution}x{resolution} normalized face crops")
    return face


def held_out_face(config):
    """The first record of the run's evaluation split, float32 (R, R, 3) in [0, 1]."""
    from gazejax.data.pipeline import open_source, to_float  # noqa: PLC0415

    split = config.data.eval_split
    try:
        source, _ = open_source(config.data, split)
        face = to_float(source[0])["image"]
    except (OSError, ValueError, IndexError) as e:
        reason = first_line(e)
        raise UsageError(f"no --image given, and the run's {split} split cannot be read: {reason}") from None
    r = config.model.output_resolution
    if face.shape[:2] != (r, r):
        raise UsageError(f"no --image given, and the run's {split} faces are {face.shape[1]}x{face.shape[0]}, "
                         f"not the model's {r}x{r}; give --image")
    print(f"no --image given: using the first held-out face of the {split} split")
    return face


def sweep_grid(redirector, face, gaze_yaws, view_yaws):
    """(rows*R, cols*R, 3) grid: per view, the input, the redirections, the middle depth."""
    import numpy as np  # noqa: PLC0415

    from gazejax.geometry import camera_label  # noqa: PLC0415
    from gazejax.methods.livegaze.training import depth_to_rgb  # noqa: PLC0415

    r = redirector.resolution
    gazes = np.array([[0.0, y] for y in gaze_yaws for _ in view_yaws], np.float32)
    views = np.array([v for _ in gaze_yaws for v in view_yaws], np.float32)
    cameras = np.asarray(camera_label(views, np.zeros_like(views)))
    out = redirector(np.repeat(face[None], len(gazes), 0), gazes, cameras)
    images = out["image"].reshape(len(gaze_yaws), len(view_yaws), r, r, 3)
    m = redirector.config.model
    depth = np.asarray(depth_to_rgb(out["depth"], r, m.ray_start, m.ray_end))
    depth = depth.reshape(len(gaze_yaws), len(view_yaws), r, r, 3)[len(gaze_yaws) // 2]
    rows = [
        np.concatenate([face, *images[:, v], depth[v]], axis=1) for v in range(len(view_yaws))
    ]
    return np.concatenate(rows, axis=0)


def _request(args):
    """The command line checked before the run is touched.

    Returns ``(gaze or None, gaze_yaws, view_yaws, (camera_yaw, camera_pitch))``.
    """
    if not (args.out or args.sweep):
        raise UsageError("nothing to do: give --out (with --gaze) and/or --sweep")
    if args.out and not (args.gaze or args.look_at_camera):
        raise UsageError("--out needs --gaze PITCH,YAW (or --look-at-camera for a photo)")
    if args.gaze and args.look_at_camera:
        raise UsageError("give --gaze or --look-at-camera, not both")
    check_photo_arguments(args)
    if args.video:
        _check_video_request(args)
    elif args.skip_missing:
        raise UsageError("--skip-missing applies to --video only")
    if args.depth_out and not args.out:
        raise UsageError("--depth-out needs --out (the depth is of the redirected face)")
    gaze = parse_angles(args.gaze, "--gaze", GAZE_LIMITS, GAZE_NAMES) if args.gaze else None
    gaze_yaws = parse_angles(args.sweep_gaze, "--sweep-gaze", YAW_LIMIT)
    view_yaws = parse_angles(args.sweep_views, "--sweep-views", YAW_LIMIT)
    camera_yaw, = parse_angles(args.camera_yaw or 0.0, "--camera-yaw", (YAW_LIMIT,))
    camera_pitch, = parse_angles(args.camera_pitch or 0.0, "--camera-pitch", (PITCH_LIMIT,))
    if args.index < 0:
        raise UsageError(f"--index must be 0 or more, got {args.index}")
    if args.fit_steps is not None and args.fit_steps < 1:
        raise UsageError(f"--fit-steps must be at least 1, got {args.fit_steps}")
    for flag in ("--out", "--depth-out", "--sweep"):
        path = getattr(args, flag[2:].replace("-", "_"))
        if path and not (args.video and flag == "--out"):
            check_image_destination(path, flag)
    return gaze, gaze_yaws, view_yaws, (camera_yaw, camera_pitch)


def _check_video_request(args):
    """``--video`` with what it needs and nothing that does not apply to it."""
    import math  # noqa: PLC0415

    from gazejax.commands.outputs import check_file_destination  # noqa: PLC0415
    from gazejax.commands.redirect_video import VIDEO_SUFFIXES  # noqa: PLC0415

    if (args.image or args.sweep or args.debug_dir or args.input != "auto" or args.depth_out
            or args.camera_yaw is not None or args.camera_pitch is not None):
        raise UsageError("--video takes none of --image, --sweep, --debug-dir, --input, --depth-out, "
                         "--camera-yaw, --camera-pitch")
    if not args.out:
        raise UsageError("--video needs --out OUT.mp4")
    if check_file_destination(args.out, "--out").suffix.lower() not in VIDEO_SUFFIXES:
        raise UsageError(f"--out {args.out}: a video is written as {', '.join(VIDEO_SUFFIXES)}")
    if pathlib.Path(args.video).resolve() == pathlib.Path(args.out).resolve():
        raise UsageError("--out must not be the --video it reads")
    if not pathlib.Path(args.video).is_file():
        raise UsageError(f"no such video: {args.video}")
    if args.batch < 1:
        raise UsageError(f"--batch must be at least 1, got {args.batch}")
    if not (math.isfinite(args.smoothing) and 0 < args.smoothing <= 1):
        raise UsageError(f"--smoothing must be in (0, 1], got {args.smoothing}")


def _run_config(args):
    """The run's config and method, read without restoring anything."""
    from gazejax.run_loading import RunError, load_run_config  # noqa: PLC0415

    if not pathlib.Path(args.checkpoint).exists():
        raise UsageError(f"no such run directory or bundle: {args.checkpoint}")
    try:
        config = load_run_config(args.checkpoint)
    except RunError as e:
        raise UsageError(str(e)) from None
    # MGGR redirects the eyes of whole photos and videos only (its inputs are eye patches, not face
    # crops), so any --image is a photo to it, square or not
    whole_frames = args.video or (args.image and args.input != "crop")
    method = "mggr" if config.get("method") == "mggr" and whole_frames else run_method(config, args.checkpoint)
    if args.method and args.method != method:
        raise UsageError(f"--method {args.method}, but {args.checkpoint} is a {method} run")
    others = {"livegaze": GAZENERF_FLAGS, "gazenerf": LIVEGAZE_FLAGS}.get(method, {**LIVEGAZE_FLAGS, **GAZENERF_FLAGS})
    given = [flag for name, flag in others.items() if getattr(args, name) is not None]
    if given:
        raise UsageError(f"{args.checkpoint} is a {method} run, which takes no {', '.join(given)}")
    return config, method


def _photo(args, config, method):
    """The photo when ``--image`` is one (else None), after refusing flags that do not apply."""
    photo_flags = [flag for name, flag in PHOTO_FLAGS.items() if getattr(args, name)]
    if args.region != "face":
        photo_flags.append("--region")
    if method == "gazenerf" and args.video:
        raise UsageError(f"--video works with livegaze and mggr runs; {args.checkpoint} is a gazenerf run, "
                         "which fits every face for many steps first (use --image per frame)")
    if method == "gazenerf" and args.image and args.h5 and args.input != "crop":
        raise UsageError("give --image PHOTO or --h5 FILE, not both")
    if method == "gazenerf" and not args.image:
        if photo_flags or args.input == "photo":
            raise UsageError(f"{', '.join(photo_flags) or '--input photo'} only apply to a whole photo (--image PHOTO)")
        return None
    if args.video:
        return None
    if args.input == "crop" or (args.input == "auto" and not args.image):
        if photo_flags:
            raise UsageError(f"{', '.join(photo_flags)} only apply to a whole photo (--image PHOTO)")
        return None
    if args.input == "photo" and not args.image:
        raise UsageError("--input photo needs --image PHOTO")
    photo = read_rgb(args.image)
    if method == "livegaze" and args.input == "auto" and not photo_flags:
        r = config.model.output_resolution
        if photo.shape[:2] == (r, r):
            return None
    if args.sweep or args.camera_yaw is not None or args.camera_pitch is not None or args.depth_out:
        raise UsageError("--sweep, --camera-yaw, --camera-pitch and --depth-out apply to normalized crops, "
                         f"and {args.image} is a whole photo")
    return photo


def run(args):
    gaze, gaze_yaws, view_yaws, (camera_yaw, camera_pitch) = _request(args)
    config, method = _run_config(args)
    photo = _photo(args, config, method)
    if args.video:
        from gazejax.commands import redirect_video  # noqa: PLC0415

        return redirect_video.run(args, config, method, gaze)
    if photo is not None:
        from gazejax.commands import redirect_photo  # noqa: PLC0415

        return redirect_photo.run(args, config, method, gaze, photo)
    if method == "gazenerf":
        from gazejax.commands import redirect_gazenerf  # noqa: PLC0415

        return redirect_gazenerf.run(args, config, gaze, gaze_yaws) or 0

    import numpy as np  # noqa: PLC0415

    from gazejax.geometry import camera_label  # noqa: PLC0415
    from gazejax.methods.livegaze.inference import Redirector  # noqa: PLC0415
    from gazejax.methods.livegaze.training import depth_to_rgb  # noqa: PLC0415

    # checked before the (slower) restore, so a bad image fails fast
    face = read_face(args.image, config.model.output_resolution) if args.image else held_out_face(config)
    try:
        redirector = Redirector.from_workdir(args.checkpoint)
    except ValueError as e:  # RunError: no checkpoint
        raise UsageError(str(e)) from None
    outputs, written = {}, {}
    if args.out:
        camera = np.asarray(camera_label(np.float32(camera_yaw), np.float32(camera_pitch)))[None]
        out = redirector(face[None], np.array([gaze], np.float32), camera)
        outputs.update(image=out["image"], raw_image=out["image_raw"], depth=out["depth"])
        written[args.out] = out["image"][0]
        if args.depth_out:
            m = redirector.config.model
            written[args.depth_out] = np.asarray(
                depth_to_rgb(out["depth"], redirector.resolution, m.ray_start, m.ray_end))[0]
    if args.sweep:
        outputs["sweep"] = written[args.sweep] = sweep_grid(redirector, face, gaze_yaws, view_yaws)
    check_finite("LiveGaze's output", **outputs)
    for path, image in written.items():
        write_image(path, image)
    return 0
