"""``gazejax evaluate --config F[:variant] --workdir D [--best]``: metrics table + eval.json."""

from gazejax.cli import UsageError
from gazejax.commands.train import add_run_arguments, check_run_method, parse_extra_args, start  # noqa: F401

HELP = "evaluate a trained model"


def add_arguments(parser):
    add_run_arguments(parser)
    parser.add_argument(
        "--best", action="store_true", help="use the best checkpoint by config.best_metric"
    )


def run(args):
    config = start(args)
    from gazejax.evaluation.table import format_report
    from gazejax.train import trainer

    check_run_method(args.workdir, config, required=True)
    try:
        results = trainer.evaluate(config, args.workdir, best=args.best)
    except ValueError as e:
        raise UsageError(str(e)) from None
    print("\n".join(format_report(results)))
    print(f"written to {args.workdir}/eval.json")
    return 0
