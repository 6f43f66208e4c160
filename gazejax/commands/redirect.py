"""``gazejax redirect``: redirect the gaze in a face with a trained LiveGaze or GazeNeRF run.

    gazejax redirect --checkpoint RUN --image IN.png --gaze PITCH,YAW --out OUT.png
    gazejax redirect --checkpoint RUN --image IN.png --sweep SWEEP.png
    gazejax redirect --method gazenerf --checkpoint RUN [--h5 FILE] --index I --gaze P,Y --out OUT.png

The method is the run's own (``--method`` only checks it). GazeNeRF fits
each input first (:mod:`gazejax.commands.redirect_gazenerf`); the rest of
this docstring is about LiveGaze.

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
from gazejax.errors import first_line

HELP = "redirect the gaze in a face image"


METHODS = ("livegaze", "gazenerf")
# flags that only a LiveGaze run uses, and only a GazeNeRF run uses (None: not given); a GazeNeRF
# run refuses --image itself, saying what it takes instead
LIVEGAZE_FLAGS = {"camera_yaw": "--camera-yaw", "camera_pitch": "--camera-pitch", "depth_out": "--depth-out"}
GAZENERF_FLAGS = {"h5": "--h5", "fit_steps": "--fit-steps"}


def add_arguments(parser):
    parser.add_argument("--checkpoint", required=True,
                        help="training run directory (its workdir) or inference bundle (gazejax export --bundle)")
    parser.add_argument("--method", choices=METHODS,
                        help="the run's method (default: read from the run); a mismatch is an error")
    parser.add_argument(
        "--image",
        help="LiveGaze: normalized face crop at the model's resolution (PNG/JPEG; 8- or 16-bit, RGB or "
        "grayscale; opaque alpha is dropped, transparency refused); default: the first held-out face "
        "of the run's SynthGaze test split (a quick look at a trained model)",
    )
    parser.add_argument("--gaze", help=f"target gaze PITCH,YAW in radians (head frame), |pitch| <= {PITCH_LIMIT} "
                        f"(pi/2), |yaw| <= {YAW_LIMIT} (pi); write it as --gaze=-0.1,0.2 when it starts with -")
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
        raise UsageError(f"{workdir} holds a {method!r} run; redirect works with {', '.join(METHODS)} runs")
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
    if args.out and not args.gaze:
        raise UsageError("--out needs --gaze PITCH,YAW")
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
        if path:
            check_image_destination(path, flag)
    return gaze, gaze_yaws, view_yaws, (camera_yaw, camera_pitch)


def _run_config(args):
    """The run's config and method, read without restoring anything."""
    from gazejax.run_loading import RunError, load_run_config  # noqa: PLC0415

    if not pathlib.Path(args.checkpoint).exists():
        raise UsageError(f"no such run directory or bundle: {args.checkpoint}")
    try:
        config = load_run_config(args.checkpoint)
    except RunError as e:
        raise UsageError(str(e)) from None
    method = run_method(config, args.checkpoint)
    if args.method and args.method != method:
        raise UsageError(f"--method {args.method}, but {args.checkpoint} is a {method} run")
    others = GAZENERF_FLAGS if method == "livegaze" else LIVEGAZE_FLAGS
    given = [flag for name, flag in others.items() if getattr(args, name) is not None]
    if given:
        raise UsageError(f"{args.checkpoint} is a {method} run, which takes no {', '.join(given)}")
    return config, method


def run(args):
    gaze, gaze_yaws, view_yaws, (camera_yaw, camera_pitch) = _request(args)
    config, method = _run_config(args)
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
