"""Turns SIGTERM/SIGINT into a flag, so the trainer can checkpoint and exit cleanly.

A run stopped this way is not finished: the trainer raises
:class:`TrainingInterrupted` after its checkpoint, and ``gazejax train`` exits
with its own code (``EXIT_INTERRUPTED`` in :mod:`gazejax.cli`) so that a
scheduler can tell preemption from completion.
"""

import signal
import threading


class TrainingInterrupted(Exception):
    """Training stopped on SIGTERM/SIGINT at ``step`` after saving a checkpoint; a rerun resumes."""

    def __init__(self, step):
        super().__init__(f"stopped at step {step}; checkpoint saved, rerun to resume")
        self.step = step


class StopSignal:
    """While active, SIGTERM/SIGINT set ``requested`` instead of killing the process.

    A second signal restores the default behaviour (so Ctrl-C twice still
    interrupts a stuck save). Only installable from the main thread; elsewhere
    (e.g. in a notebook worker thread) it stays inert.
    """

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self):
        self.requested = False
        self._previous = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in self.SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum, frame):
        del frame
        self.requested = True
        signal.signal(signum, self._previous.get(signum, signal.SIG_DFL))

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        return False
