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
the middle gaze. The input must be a normalized RGB face crop at the model's
resolution.
"""

import pathlib

from gazejax.cli import UsageError

HELP = "redirect the gaze in a face image"


METHODS = ("livegaze", "gazenerf")


def add_arguments(parser):
    parser.add_argument("--checkpoint", required=True,
                        help="training run directory (its workdir) or inference bundle (gazejax export --bundle)")
    parser.add_argument("--method", choices=METHODS,
                        help="the run's method (default: read from the run); a mismatch is an error")
    parser.add_argument(
        "--image",
        help="normalized face crop (PNG/JPEG, RGB); default: the first held-out face of the run's "
        "SynthGaze test split (a quick look at a trained model)",
    )
    parser.add_argument("--gaze", help="target gaze PITCH,YAW in radians (head frame)")
    parser.add_argument("--camera-yaw", type=float, default=0.0, help="camera yaw in radians (default 0: frontal)")
    parser.add_argument("--camera-pitch", type=float, default=0.0, help="camera pitch in radians")
    parser.add_argument("--out", help="output PNG of the redirected image")
    parser.add_argument("--depth-out", help="also write the rendered depth as a grey PNG")
    parser.add_argument("--sweep", help="output PNG of a gaze x view grid")
    parser.add_argument("--sweep-gaze", default="-0.4,-0.2,0,0.2,0.4", help="gaze yaws (radians) of the sweep")
    parser.add_argument("--sweep-views", default="-0.35,0,0.35", help="camera yaws (radians) of the sweep")
    parser.add_argument("--h5", help="GazeNeRF: a per-subject h5 file (reference layout) to take the input from")
    parser.add_argument("--index", type=int, default=0,
                        help="GazeNeRF: input record index in --h5, or in the run's held-out split")
    parser.add_argument("--fit-steps", type=int, help="GazeNeRF: fitting steps (default: the run's fit.num_steps)")


def run_method(config, workdir):
    """The method of a run's saved config (one of ``METHODS``)."""
    method = config.get("method")
    if method not in METHODS:
        raise UsageError(f"{workdir} holds a {method!r} run; redirect works with {', '.join(METHODS)} runs")
    return method


def _floats(text, what, count=None):
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise UsageError(f"{what} must be comma-separated numbers, got {text!r}") from None
    if count is not None and len(values) != count:
        raise UsageError(f"{what} needs {count} numbers, got {len(values)} in {text!r}")
    return values


def read_face(path, resolution):
    """An RGB face crop as float32 (R, R, 3) in [0, 1]; UsageError names what is wrong."""
    import numpy as np  # noqa: PLC0415
    from PIL import Image  # noqa: PLC0415

    if not pathlib.Path(path).is_file():
        raise UsageError(f"no such image: {path}")
    try:
        with Image.open(path) as im:
            im.load()
            mode, size, pixels = im.mode, im.size, np.asarray(im)
    except OSError as e:
        raise UsageError(f"cannot read image {path}: {e}") from None
    if mode != "RGB":
        raise UsageError(f"{path} is {mode} ({len(im.getbands())} channels); expected an RGB image")
    if size != (resolution, resolution):
        raise UsageError(
            f"{path} is {size[0]}x{size[1]}; this model takes {resolution}x{resolution} normalized face crops"
        )
    return pixels.astype(np.float32) / 255.0


def held_out_face(config):
    """The first record of the run's evaluation split, float32 (R, R, 3) in [0, 1]."""
    from gazejax.data.pipeline import open_source, to_float  # noqa: PLC0415

    source, _ = open_source(config.data, config.data.eval_split)
    record = to_float(source[0])
    print(f"no --image given: using the first held-out face of the {config.data.eval_split} split")
    return record["image"]


def _save(path, image):
    import numpy as np  # noqa: PLC0415
    from PIL import Image  # noqa: PLC0415

    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray((np.clip(image, 0.0, 1.0) * 255 + 0.5).astype(np.uint8)).save(path)
    print(f"wrote {path}")


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


def run(args):
    if not (args.out or args.sweep):
        raise UsageError("nothing to do: give --out (with --gaze) and/or --sweep")
    if args.out and not args.gaze:
        raise UsageError("--out needs --gaze PITCH,YAW")
    gaze = _floats(args.gaze, "--gaze", 2) if args.gaze else None
    gaze_yaws = _floats(args.sweep_gaze, "--sweep-gaze")
    view_yaws = _floats(args.sweep_views, "--sweep-views")

    import numpy as np  # noqa: PLC0415

    from gazejax.geometry import camera_label  # noqa: PLC0415
    from gazejax.methods.livegaze.inference import Redirector  # noqa: PLC0415
    from gazejax.run_loading import load_run_config  # noqa: PLC0415

    if not pathlib.Path(args.checkpoint).exists():
        raise UsageError(f"no such run directory or bundle: {args.checkpoint}")
    try:
        config = load_run_config(args.checkpoint)
    except ValueError as e:
        raise UsageError(str(e)) from None
    method = run_method(config, args.checkpoint)
    if args.method and args.method != method:
        raise UsageError(f"--method {args.method}, but {args.checkpoint} is a {method} run")
    if method == "gazenerf":
        from gazejax.commands import redirect_gazenerf  # noqa: PLC0415

        return redirect_gazenerf.run(args, config, gaze, gaze_yaws, _save) or 0
    try:
        # checked before the (slower) restore, so a bad image fails fast
        if args.image:
            face = read_face(args.image, config.model.output_resolution)
        else:
            face = held_out_face(config)
        redirector = Redirector.from_workdir(args.checkpoint)
    except ValueError as e:
        raise UsageError(str(e)) from None
    if args.out:
        camera = np.asarray(camera_label(np.float32(args.camera_yaw), np.float32(args.camera_pitch)))[None]
        out = redirector(face[None], np.array([gaze], np.float32), camera)
        _save(args.out, out["image"][0])
        if args.depth_out:
            from gazejax.methods.livegaze.training import depth_to_rgb  # noqa: PLC0415

            m = redirector.config.model
            _save(args.depth_out, np.asarray(depth_to_rgb(out["depth"], redirector.resolution, m.ray_start, m.ray_end))[0])
    if args.sweep:
        _save(args.sweep, sweep_grid(redirector, face, gaze_yaws, view_yaws))
    return 0
