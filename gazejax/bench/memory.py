"""Memory of a compiled JAX function and the budget a benchmark shape must fit.

Before a benchmark runs a shape it compiles it and reads XLA's compiled
memory analysis; a shape whose peak exceeds the budget is not run but
recorded as skipped with the bytes it needs, so that a benchmark never dies
of an out-of-memory error half-way through.
"""

import os

# Share of the memory free when the benchmark starts that one shape may use:
# the rest is left for the Python process, PyTorch's side of a comparison
# and XLA's allocator fragmentation.
DEFAULT_BUDGET_FRACTION = 0.8


class ShapeTooBig(Exception):
    """A compiled function's peak memory exceeds the benchmark's budget."""

    def __init__(self, memory, budget_bytes):
        super().__init__(f"needs {memory['peak_bytes']} bytes, budget {budget_bytes}")
        self.memory = memory
        self.budget_bytes = budget_bytes


def compiled_memory(compiled):
    """Bytes of a ``jax.stages.Compiled``: peak, temporaries, arguments, outputs, code.

    ``peak_bytes`` is XLA's own peak where the backend reports one, else
    arguments + outputs + temporaries - aliased (donated) bytes + code.
    """
    stats = compiled.memory_analysis()
    if stats is None:  # a backend without memory analysis
        return None
    summed = (stats.argument_size_in_bytes + stats.output_size_in_bytes + stats.temp_size_in_bytes
              - stats.alias_size_in_bytes + stats.generated_code_size_in_bytes)
    return dict(
        peak_bytes=int(max(getattr(stats, "peak_memory_in_bytes", 0) or 0, summed)),
        temp_bytes=int(stats.temp_size_in_bytes),
        argument_bytes=int(stats.argument_size_in_bytes),
        output_bytes=int(stats.output_size_in_bytes),
        alias_bytes=int(stats.alias_size_in_bytes),
        code_bytes=int(stats.generated_code_size_in_bytes),
    )


def available_bytes(device):
    """Memory a computation on ``device`` can use now: the accelerator's limit, or the host's free RAM."""
    stats = device.memory_stats() if device.platform != "cpu" else None
    if stats and "bytes_limit" in stats:
        return int(stats["bytes_limit"]) - int(stats.get("bytes_in_use", 0))
    return _host_available_bytes()


def _host_available_bytes():
    try:
        with open("/proc/meminfo") as f:
            fields = dict(line.split(":", 1) for line in f)
        return int(fields["MemAvailable"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):  # not Linux: all physical memory
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def default_budget_bytes(device):
    """:data:`DEFAULT_BUDGET_FRACTION` of :func:`available_bytes`."""
    return int(available_bytes(device) * DEFAULT_BUDGET_FRACTION)
