"""``gazejax train --config F[:variant[,key=value...]] --workdir D [--config.a.b=value ...]``.

Exits ``EXIT_OK`` at ``num_steps``; ``EXIT_INTERRUPTED`` when SIGTERM/SIGINT
stopped it after a checkpoint (rerun the same command to resume);
``EXIT_FAILED`` when training diverged (nothing non-finite was saved);
``EXIT_USAGE`` for bad input, found before any work (:mod:`gazejax.cli`).
"""

import pathlib

from gazejax.cli import EXIT_INTERRUPTED, CommandFailed, UsageError

HELP = "train a model from an ml_collections config"


def add_arguments(parser):
    add_run_arguments(parser)


def add_run_arguments(parser):
    """Arguments shared by ``train`` and ``evaluate``."""
    parser.add_argument("--config", required=True, help="configs/FILE.py[:variant[,key=value,...]]")
    parser.add_argument("--workdir", required=True, help="checkpoints, logs and samples go here")
    multi = "(multi-process runs)"
    parser.add_argument("--coordinator-address", help=f"host:port of process 0 {multi}")
    parser.add_argument("--num-processes", type=int, help=f"number of processes {multi}")
    parser.add_argument("--process-id", type=int, help=f"this process's index {multi}")
    parser.epilog = (
        "Any config field can be overridden: --config.optim.lr=1e-4 (or --config.optim.lr 1e-4; "
        "booleans take '=': --config.data.pairs=false)."
    )


def parse_extra_args(tokens):
    """Config overrides: the tokens argparse cannot declare (field names are open-ended).

    They are absl flags, parsed with the config in :func:`start`.
    """
    return list(tokens)


def start(args):
    """Starts jax.distributed if asked, then loads the config; bad input -> UsageError."""
    from gazejax.train import config_loading, sharding

    sharding.initialize_distributed(args.coordinator_address, args.num_processes, args.process_id)
    try:
        return config_loading.load_config_from_command_line(args.config, args.extra)
    except config_loading.ConfigError as e:
        raise UsageError(str(e)) from None


def check_run_method(workdir, config, required):
    """Checks that ``workdir`` holds a run of ``config.method`` (or, unless ``required``, no run yet).

    Raises UsageError, one line naming the run's method, up front: restoring
    another method's checkpoint would fail later with orbax's tree diff.
    """
    from gazejax.run_loading import RunError, load_run_config
    from gazejax.train.method import method_name

    if not required and not (pathlib.Path(workdir) / "config.json").exists():
        return
    try:
        load_run_config(workdir, method=method_name(config.method))
    except RunError as e:
        raise UsageError(str(e)) from None


def run(args):
    config = start(args)
    from gazejax.train import trainer
    from gazejax.train.metrics_log import NonFiniteLossError
    from gazejax.train.stop_signal import TrainingInterrupted

    check_run_method(args.workdir, config, required=False)
    try:
        state = trainer.train(config, args.workdir)
    except TrainingInterrupted as e:
        print(e)
        return EXIT_INTERRUPTED
    except NonFiniteLossError as e:
        raise CommandFailed(f"training diverged: {e}") from None
    except ValueError as e:
        raise UsageError(str(e)) from None
    print(f"finished at step {int(state.step)}; workdir {args.workdir}")
    return 0
