"""``gazejax bench NAME --json OUT``: run a benchmark, print and write its records."""

import importlib
import json

import jax

from gazejax.bench import BENCHMARKS
from gazejax.bench.memory import default_budget_bytes
from gazejax.cli import UsageError
from gazejax.commands.outputs import check_file_destination, write_text

HELP = "run a benchmark and write its JSON records"


def add_arguments(parser):
    parser.add_argument("name", help="one of: " + ", ".join(BENCHMARKS))
    parser.add_argument("--json", required=True,
                        help="output file (JSON list of records; missing folders are created)")
    parser.add_argument("--runs", type=int, default=10,
                        help="timed runs per measurement, at least 1 (default 10; some benchmarks time more)")
    parser.add_argument(
        "--quick", action="store_true", help="small shapes and few runs (smoke test only)"
    )
    parser.add_argument(
        "--variant", default=None,
        help="config variant, for benchmarks that take one (gazenerf, train_memory: paper, synthgaze, tiny; "
             "eg3d: synthgaze)",
    )
    parser.add_argument(
        "--memory-budget-gb", type=float, default=None,
        help="a shape whose compiled peak memory exceeds this is recorded as skipped, not run "
             "(default: 80%% of the memory free at start, on the host or the accelerator)",
    )
    parser.add_argument(
        "--checkpoint", default=None,
        help="pipeline: a LiveGaze run (or bundle) whose model is timed (default: a random-weight :tiny model)",
    )
    parser.add_argument(
        "--fit-steps", type=int, default=None,
        help="gazenerf: steps of the timed per-subject fit (default: the config's, 75); "
             "fewer make a 512^2 fit measurable on a CPU",
    )
    parser.add_argument(
        "--step-ms", type=float, default=None,
        help="input: the training step time (ms) whose consumption the pipeline is compared with "
             "(default 360, the LiveGaze paper's: 18 h on two A100s for 180,000 steps)",
    )


def run(args):
    if args.name not in BENCHMARKS:
        raise UsageError(f"unknown benchmark {args.name!r}; choose from {', '.join(BENCHMARKS)}")
    out = check_file_destination(args.json, "--json")
    if args.runs < 1:
        raise UsageError(f"--runs must be at least 1, got {args.runs}")
    module = importlib.import_module(f"gazejax.bench.{args.name}")
    variants = getattr(module, "VARIANTS", ())
    if args.variant is not None and args.variant not in variants:
        choices = f"choose from {', '.join(variants)}" if variants else "it takes none"
        raise UsageError(f"benchmark {args.name!r} has no variant {args.variant!r}; {choices}")
    if args.fit_steps is not None and (args.name != "gazenerf" or args.fit_steps < 1):
        raise UsageError(f"--fit-steps takes a positive number of steps, for the gazenerf benchmark only; "
                         f"got {args.fit_steps} for {args.name}")
    if args.checkpoint is not None and args.name != "pipeline":
        raise UsageError(f"--checkpoint applies to the pipeline benchmark only, not {args.name}")
    if args.step_ms is not None and (args.name != "input" or args.step_ms <= 0):
        raise UsageError(f"--step-ms takes a positive time in ms, for the input benchmark only; "
                         f"got {args.step_ms} for {args.name}")
    if args.memory_budget_gb is not None and args.memory_budget_gb <= 0:
        raise UsageError(f"--memory-budget-gb must be positive, got {args.memory_budget_gb}")
    args.budget_bytes = (default_budget_bytes(jax.devices()[0]) if args.memory_budget_gb is None
                         else int(args.memory_budget_gb * 1e9))
    records = module.run(args)
    write_text(out, json.dumps(records, indent=2) + "\n")
    for rec in records:
        print(json.dumps(rec))
    return 0
