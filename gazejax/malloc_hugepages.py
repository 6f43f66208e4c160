"""Transparent huge pages for the ``gazejax`` command's large allocations (Linux, glibc).

XLA:CPU allocates the temporaries of each call of a compiled computation as
one block (45 MB for the quick render benchmark's forward+backward at batch
1, gigabytes for a training step). glibc serves any block above 32 MB with a
fresh ``mmap`` and unmaps it when it is freed, so every call touches every
4 KiB page of it anew: one page fault each, 11,000 a call for that render,
half its time on a 2-core CPU. glibc's ``glibc.malloc.hugetlb=1`` tunable
asks the kernel for transparent huge pages on those blocks (``madvise``):
2 MiB pages, 512 times fewer faults. Unlike keeping freed memory in the
process (``mmap_max``, ``trim_threshold``), memory still goes back to the
system when it is freed.

glibc reads its tunables once, when a process starts, so the ``gazejax``
command adds the tunable to ``GLIBC_TUNABLES`` and executes itself again,
the same command line, before doing anything else. ``import gazejax`` never
does this: in a notebook or a script, start Python with
``GLIBC_TUNABLES=glibc.malloc.hugetlb=1`` to get the same.

Nothing happens where it could not help or was decided otherwise: not on
Linux with glibc 2.35 or later, transparent huge pages set to ``never``, a
``glibc.malloc.hugetlb`` already in ``GLIBC_TUNABLES`` (the user's value
wins), or ``GAZEJAX_HUGEPAGES=0``.
"""

import os
import platform
import sys

TUNABLE = "glibc.malloc.hugetlb"
THP_SETTING = "/sys/kernel/mm/transparent_hugepage/enabled"
FIRST_GLIBC = (2, 35)  # the first glibc with the hugetlb tunable


def _glibc_version():
    name, version = platform.libc_ver()
    if name != "glibc" or not version:
        return None
    return tuple(int(part) for part in version.split(".")[:2] if part.isdigit())


def _thp_available(setting_path=THP_SETTING):
    """Whether the kernel grants huge pages to memory that asks (``always`` or ``madvise``)."""
    try:
        with open(setting_path) as f:
            return "[never]" not in f.read()
    except OSError:
        return False


def environment(environ=None, glibc_version=None, thp_available=None):
    """The environment to run the command in, or ``None`` when it should not change.

    Args:
      environ: the current environment (default ``os.environ``); not modified.
      glibc_version, thp_available: what this machine has (default: detected).

    Returns:
      A new ``dict`` with :data:`TUNABLE` ``=1`` appended to ``GLIBC_TUNABLES``.
    """
    environ = os.environ if environ is None else environ
    if environ.get("GAZEJAX_HUGEPAGES", "1") == "0" or TUNABLE in environ.get("GLIBC_TUNABLES", ""):
        return None
    if not sys.platform.startswith("linux"):
        return None
    glibc_version = _glibc_version() if glibc_version is None else glibc_version
    if glibc_version is None or glibc_version < FIRST_GLIBC:
        return None
    if not (_thp_available() if thp_available is None else thp_available):
        return None
    tunables = [t for t in environ.get("GLIBC_TUNABLES", "").split(":") if t] + [f"{TUNABLE}=1"]
    return dict(environ, GLIBC_TUNABLES=":".join(tunables))


def restart_with_hugepages():
    """Executes this Python command line again with huge pages on; returns only when nothing changes.

    ``sys.orig_argv`` is the interpreter's own command line (``python -m
    gazejax ...`` or the ``gazejax`` script), options such as ``-X`` included.
    """
    env = environment()
    if env is None or not sys.executable:  # an embedded interpreter has no executable to run again
        return
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], env)
    except OSError:  # huge pages are a speed-up, never a reason for the command to fail
        return
