"""The ``gazejax`` command: one subcommand per module in ``gazejax.commands``.

Each subcommand module defines ``HELP`` (one line), ``add_arguments(parser)``
and ``run(args) -> int``. A module that takes open-ended options (config
overrides such as ``--config.optim.lr=1e-4``) also defines
``parse_extra_args(tokens) -> value``: the tokens argparse leaves over are
passed through it into ``args.extra``. Modules are imported only when their
subcommand runs, so ``gazejax --help`` stays fast and does not start JAX.

Exit codes, the same for every subcommand:

- ``EXIT_OK`` (0): done;
- ``EXIT_FAILED`` (1): the command ran and failed (training diverged: one
  line), or an internal error (with its traceback);
- ``EXIT_USAGE`` (2): bad input, one line: arguments, config, paths, a
  workdir in use, a run or checkpoint that cannot be used;
- ``EXIT_INTERRUPTED`` (75): stopped by SIGTERM/SIGINT after saving a
  checkpoint; rerun the same command to resume.
"""

import argparse
import importlib
import sys

from gazejax import malloc_hugepages

SUBCOMMANDS = {
    "demo": "redirect held-out SynthGaze faces with the shipped GazeNeRF: a picture and the gaze error",
    "synthgaze": "build the SynthGaze dataset (and a preview contact sheet)",
    "train": "train a model from an ml_collections config",
    "evaluate": "evaluate a trained model",
    "redirect": "redirect the gaze in a face image",
    "convert": "convert a PyTorch checkpoint to a Flax/orbax checkpoint",
    "estimate": "estimate gaze with a converted or trained estimator",
    "export": "export a trained run: a judge directory or a one-file inference bundle",
    "bench": "run a benchmark and write its JSON records",
    "landmarks": "find the face landmarks of a photo or video (MediaPipe) and save them for --landmarks",
}


EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 75  # EX_TEMPFAIL of sysexits.h: "try again later", what a preempted job should do


class UsageError(Exception):
    """Bad command-line input; reported as one line, without a traceback (exit ``EXIT_USAGE``)."""


class CommandFailed(Exception):
    """The command ran but did not succeed (training diverged); one line (exit ``EXIT_FAILED``)."""


def _module(name):
    return importlib.import_module(f"gazejax.commands.{name}")


def build_parser(argv):
    parser = argparse.ArgumentParser(
        prog="gazejax", description="3D-aware gaze redirection in JAX/Flax."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    wanted = next((a for a in argv if not a.startswith("-")), None)
    for name, help_text in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == wanted:
            _module(name).add_arguments(p)
    return parser


def main(argv=None):
    if argv is None:  # the command line itself, not a call from Python code
        malloc_hugepages.restart_with_hugepages()
        argv = sys.argv[1:]
    parser = build_parser(argv)
    args, extra = parser.parse_known_args(argv)
    module = _module(args.command)
    parse_extra = getattr(module, "parse_extra_args", None)
    if extra and parse_extra is None:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        if parse_extra is not None:
            args.extra = parse_extra(extra)
        return module.run(args) or EXIT_OK
    except UsageError as e:
        print(f"gazejax {args.command}: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except CommandFailed as e:
        print(f"gazejax {args.command}: error: {e}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
