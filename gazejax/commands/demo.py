"""``gazejax demo [--out DIR]``: the quick start's proof that redirection works, in a few minutes.

GazeNeRF, trained by this project on SynthGaze and shipped with the package
(:mod:`gazejax.quickstart`), redirects held-out faces
(:mod:`gazejax.methods.gazenerf.demo`):

- ``DIR/redirect.png``: for each face, the input, then GazeNeRF's face and
  the true face at each requested (pitch, yaw) of a sweep;
- printed: the gaze error against the requested gaze, of GazeNeRF's output,
  of doing nothing, and of the true face (the judge's floor), read by a judge
  trained on other identities, one that GazeNeRF never trained against.

``--model`` and ``--judge`` take your own GazeNeRF and L2CS face-judge runs or
bundles instead (``gazejax export --bundle``).
"""

import pathlib

from gazejax.cli import UsageError
from gazejax.commands.outputs import check_directory_destination, check_finite

HELP = "redirect held-out SynthGaze faces with the shipped GazeNeRF: a picture and the gaze error"


def add_arguments(parser):
    parser.add_argument("--out", default="demo", help="directory for redirect.png (default: demo)")
    parser.add_argument("--faces", type=int, default=4,
                        help="held-out faces to redirect (1 to the run's held-out count, default 4)")
    parser.add_argument("--model", help="GazeNeRF run directory or bundle (default: the shipped one)")
    parser.add_argument("--judge", help="L2CS face-judge run directory or bundle (default: the shipped one)")
    parser.add_argument("--seed", type=int, default=0, help="which gazes the inputs look at (default 0)")


def _load(path, method, flag):
    from gazejax.run_loading import RunError, load_model  # noqa: PLC0415

    if not pathlib.Path(path).exists():
        raise UsageError(f"{flag} {path} does not exist")
    try:
        return load_model(path, method=method)
    except RunError as e:
        raise UsageError(f"{flag}: {e}") from None


def run(args):
    from gazejax import quickstart  # noqa: PLC0415

    out = check_directory_destination(args.out, "--out")
    model = _load(args.model or quickstart.GAZENERF_BUNDLE, "gazenerf", "--model")
    judge_run = _load(args.judge or quickstart.JUDGE_BUNDLE, "l2cs", "--judge")
    if judge_run.config.model.inputs != "face":
        raise UsageError(f"--judge reads {judge_run.config.model.inputs}, not faces")
    if model.config.data.builder != "synthgaze":
        raise UsageError(f"--model was trained on {model.config.data.builder}, not SynthGaze")

    from gazejax.methods.gazenerf import demo  # noqa: PLC0415
    from gazejax.methods.l2cs.export import judge  # noqa: PLC0415

    held_out = demo.held_out_identities(model.config)
    if not 1 <= args.faces <= len(held_out):
        raise UsageError(f"--faces must be in 1..{len(held_out)} (the run's held-out faces), got {args.faces}")
    identities = held_out[:args.faces]
    faces = demo.demo_faces(model.config, identities, seed=args.seed)
    print(f"fitting GazeNeRF (step {model.step}) to {args.faces} held-out faces and rendering "
          f"{len(demo.SWEEP)} gazes each (about 20 s per face on 2 CPU cores)...", flush=True)
    outputs = demo.redirect_faces(model, faces["input"])
    check_finite("GazeNeRF's outputs", outputs=outputs)
    errors = demo.gaze_errors(judge(judge_run), faces, outputs)

    out.mkdir(parents=True, exist_ok=True)
    picture_path = out / "redirect.png"
    demo.sweep_picture(identities, faces, outputs).save(picture_path)
    which = f"face {identities[0]}" if args.faces == 1 else f"faces {identities[0]}-{identities[-1]}"
    print(f"gaze error against the requested gaze, {args.faces} face{'s' if args.faces > 1 else ''} x "
          f"{len(demo.SWEEP)} gazes ({which}, never seen in training), read by a judge trained on other faces:")
    print(f"  do nothing (output = input)   {errors['do_nothing']:5.1f}°")
    print(f"  GazeNeRF                      {errors['output']:5.1f}°")
    print(f"  true face (judge's floor)     {errors['target']:5.1f}°")
    print(f"picture: {picture_path} (per face: GazeNeRF above the true face; columns: the input, "
          "then each requested pitch, yaw)")
    return 0
