"""``gazejax export --checkpoint RUN --out DIR``: a trained L2CS run as a judge other commands load.

The directory written is in the converted-checkpoint format
(:mod:`gazejax.methods.l2cs.export`): ``gazejax estimate --checkpoint DIR``,
``--config.eval.estimator_checkpoint=DIR``, ``--config.loss.estimator_checkpoint=DIR``
and ``--config.loss.perceptual_checkpoint=DIR`` read it.
"""

import pathlib

from gazejax.cli import UsageError

HELP = "export a trained gaze-estimator (L2CS) run as a judge for estimate, losses and evaluations"


def add_arguments(parser):
    parser.add_argument("--checkpoint", required=True, help="the L2CS training run directory")
    parser.add_argument("--out", required=True, help="directory to write (replaced if it holds an export)")
    parser.add_argument("--best", action="store_true", help="export the best checkpoint by config.best_metric")


def run(args):
    from gazejax.methods.l2cs.export import export  # noqa: PLC0415
    from gazejax.run_loading import RunError, load_model  # noqa: PLC0415

    out = pathlib.Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file; give a directory")
    if out.is_dir() and any(out.iterdir()) and not (out / "network.json").is_file():
        raise UsageError(f"--out {out} holds other files; give an empty or new directory")
    try:
        run = load_model(args.checkpoint, method="l2cs", best=args.best)
    except RunError as e:
        raise UsageError(str(e)) from None
    export(run.config, run.state, out)
    print(f"exported step {run.step} of {args.checkpoint} to {out}")
    return 0
