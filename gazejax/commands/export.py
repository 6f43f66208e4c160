"""``gazejax export --checkpoint RUN (--out DIR | --bundle FILE)``: a trained run in a form others load.

- ``--out DIR`` (L2CS runs): the judge in the converted-checkpoint format
  (:mod:`gazejax.methods.l2cs.export`): ``gazejax estimate --checkpoint DIR``,
  ``--config.eval.estimator_checkpoint=DIR``, ``--config.loss.estimator_checkpoint=DIR``
  and ``--config.loss.perceptual_checkpoint=DIR`` read it.
- ``--bundle FILE`` (any method): one file with the run's config and the
  variables inference needs (:func:`gazejax.run_loading.save_bundle`);
  ``gazejax redirect --checkpoint FILE`` and ``load_model``
  read it like the run itself.
"""

from gazejax.cli import UsageError
from gazejax.commands.outputs import check_directory_destination, check_file_destination

HELP = "export a trained run: an L2CS run as a judge directory, any run as a one-file inference bundle"


def add_arguments(parser):
    parser.add_argument("--checkpoint", required=True, help="the training run directory")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--out", help="L2CS runs: judge directory to write (replaced if it holds an export; "
                        "missing folders are created)")
    target.add_argument("--bundle", help="inference-bundle file to write (any method; missing folders are created)")
    parser.add_argument("--dtype", choices=("float32", "float16"), default="float32",
                        help="--bundle: storage precision of its floating arrays (loaded as float32)")
    parser.add_argument("--best", action="store_true", help="export the best checkpoint by config.best_metric")


def run(args):
    from gazejax.run_loading import RunError, load_model, save_bundle  # noqa: PLC0415

    if args.bundle:
        bundle = check_file_destination(args.bundle, "--bundle")
        try:
            run = load_model(args.checkpoint, best=args.best)
        except RunError as e:
            raise UsageError(str(e)) from None
        save_bundle(bundle, run, args.dtype)
        print(f"bundled step {run.step} of {args.checkpoint} ({run.method}) into {bundle}")
        return 0

    from gazejax.methods.l2cs.export import export  # noqa: PLC0415

    out = check_directory_destination(args.out, "--out")
    if out.is_dir() and any(out.iterdir()) and not (out / "network.json").is_file():
        raise UsageError(f"--out {out} holds other files; give an empty or new directory")
    try:
        run = load_model(args.checkpoint, method="l2cs", best=args.best)
    except RunError as e:
        raise UsageError(str(e)) from None
    export(run.config, run.state, out)
    print(f"exported step {run.step} of {args.checkpoint} to {out}")
    return 0
