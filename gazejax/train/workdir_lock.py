"""One trainer per workdir: :class:`WorkdirLock` holds ``workdir/train.lock`` while a run lives.

The lock is an advisory ``flock`` on that file. The kernel releases it when
its process ends, however it ends, so a trainer that was killed never leaves
the workdir locked. While held, the file names its holder (pid, host, start
time); a clean release empties it. A file that still names a holder when
the lock is free was therefore left by a trainer that died: the new one says
so and takes over. In a multi-process run each process locks its own file
(``train.lock`` for process 0, ``train.<i>.lock`` for process ``i``).
"""

import datetime
import fcntl
import os
import pathlib
import socket


class WorkdirError(ValueError):
    """A workdir that cannot be used (not a writable directory, or another trainer's); one line."""


class WorkdirLock:
    """Context manager: creates ``workdir`` if needed and locks it for this process.

    Args:
      workdir: the run directory.
      process_index: this process's index in a multi-process run.

    Raises (on entry):
      WorkdirError: ``workdir`` is a file or not writable, or another live
        trainer holds it (the message names that trainer).
    """

    def __init__(self, workdir, process_index=0):
        self.workdir = pathlib.Path(workdir)
        name = "train.lock" if process_index == 0 else f"train.{process_index}.lock"
        self.path = self.workdir / name
        self._fd = None

    def __enter__(self):
        if self.workdir.exists() and not self.workdir.is_dir():
            raise WorkdirError(f"workdir {self.workdir} is a file, not a directory")
        try:
            self.workdir.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as e:
            raise WorkdirError(f"cannot write to workdir {self.workdir}: {e.strerror} ({e.filename})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read(fd) or "a trainer that is starting"
            os.close(fd)
            raise WorkdirError(f"workdir {self.workdir} is in use by {holder}; "
                               "wait for it to end or stop it (one trainer per workdir)") from None
        except OSError as e:
            os.close(fd)
            raise WorkdirError(f"cannot lock {self.path}: {e.strerror}") from None
        previous = _read(fd)
        if previous:
            print(f"taking over {self.path} from {previous}, which is no longer running")
        started = datetime.datetime.now().isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()} since {started}".encode(), 0)
        self._fd = fd
        return self

    def __exit__(self, *exc):
        os.ftruncate(self._fd, 0)  # a clean end: the next trainer finds nothing to take over
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None
        return False


def _read(fd):
    return os.pread(fd, 4096, 0).decode(errors="replace").strip()
