"""``gazejax bench NAME --json OUT``: run a benchmark, print and write its records."""

import importlib
import json
import pathlib

from gazejax.bench import BENCHMARKS
from gazejax.cli import UsageError

HELP = "run a benchmark and write its JSON records"


def add_arguments(parser):
    parser.add_argument("name", help="one of: " + ", ".join(BENCHMARKS))
    parser.add_argument("--json", required=True, help="output file (JSON list of records)")
    parser.add_argument("--runs", type=int, default=10, help="timed runs per measurement (>= 10)")
    parser.add_argument(
        "--quick", action="store_true", help="small shapes and few runs (smoke test only)"
    )
    parser.add_argument(
        "--variant", default=None,
        help="config variant, for benchmarks that take one (gazenerf: paper, synthgaze, tiny)",
    )
    parser.add_argument(
        "--fit-steps", type=int, default=None,
        help="gazenerf: steps of the timed per-subject fit (default: the config's, 75); "
             "fewer make a 512^2 fit measurable on a CPU",
    )


def run(args):
    if args.name not in BENCHMARKS:
        raise UsageError(f"unknown benchmark {args.name!r}; choose from {', '.join(BENCHMARKS)}")
    out = pathlib.Path(args.json)
    if out.parent and not out.parent.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
    module = importlib.import_module(f"gazejax.bench.{args.name}")
    variants = getattr(module, "VARIANTS", ())
    if args.variant is not None and args.variant not in variants:
        choices = f"choose from {', '.join(variants)}" if variants else "it takes none"
        raise UsageError(f"benchmark {args.name!r} has no variant {args.variant!r}; {choices}")
    if args.fit_steps is not None and (args.name != "gazenerf" or args.fit_steps < 1):
        raise UsageError("--fit-steps takes a positive number of steps, for the gazenerf benchmark only")
    records = module.run(args)
    text = json.dumps(records, indent=2)
    out.write_text(text + "\n")
    for rec in records:
        print(json.dumps(rec))
    return 0
