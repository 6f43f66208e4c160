"""The MediaPipe 0.10.14 model files the face detector runs, found or fetched once (docs/photos.md).

Looked for in this order, each file checked against its sha256 below:

1. an installed ``mediapipe==0.10.14`` (its files are read; the package is not imported),
2. the cache, ``$GAZEJAX_CACHE/mediapipe-0.10.14`` or else ``~/.cache/gazejax/mediapipe-0.10.14``,
3. PyPI: pip downloads the 0.10.14 wheel and the two files are extracted into the cache.

The models are Google's, under the Apache-2.0 licence of the MediaPipe wheel they come in.
"""

import hashlib
import importlib.metadata
import os
import pathlib
import subprocess
import sys
import tempfile
import zipfile
from typing import NamedTuple

from gazejax.face.errors import FaceError

MEDIAPIPE_VERSION = "0.10.14"
# Every platform's wheel carries the same model files, so one fixed wheel serves any OS and Python.
WHEEL_PLATFORM = "manylinux_2_17_x86_64"
WHEEL_PYTHON = "3.11"
DOWNLOAD_TIMEOUT_S = 600


class ModelFile(NamedTuple):
    path: str  # inside the mediapipe wheel
    sha256: str


MODEL_FILES = {
    "face_detection": ModelFile("mediapipe/modules/face_detection/face_detection_short_range.tflite",
                                "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8"),
    "face_landmark": ModelFile("mediapipe/modules/face_landmark/face_landmark_with_attention.tflite",
                               "e06a804e0144f9929eda782122916b35d60c697c3c9344013ca2bbe76a6ce2b4"),
}


class ModelFilesUnavailable(FaceError):
    """The model files are neither installed nor cached, and fetching them failed."""


def cache_dir():
    root = os.environ.get("GAZEJAX_CACHE", "~/.cache/gazejax")
    return pathlib.Path(root).expanduser() / f"mediapipe-{MEDIAPIPE_VERSION}"


def model_paths():
    """``{name: Path}`` of the verified model files in :data:`MODEL_FILES`, fetching them if needed.

    Raises:
      ModelFilesUnavailable: one line saying what failed and what to do.
    """
    installed = _installed_files()
    if installed is not None:
        return installed
    cache = cache_dir()
    if not all(_verified(cache / pathlib.Path(f.path).name, f.sha256) for f in MODEL_FILES.values()):
        _fetch_into(cache)
    return {name: cache / pathlib.Path(f.path).name for name, f in MODEL_FILES.items()}


def pip_download_command(dest):
    """The pip command that downloads the mediapipe wheel (without its dependencies) into ``dest``."""
    return [sys.executable, "-m", "pip", "download", f"mediapipe=={MEDIAPIPE_VERSION}", "--no-deps",
            "--only-binary=:all:", "--platform", WHEEL_PLATFORM, "--python-version", WHEEL_PYTHON,
            "--quiet", "-d", str(dest)]


def _installed_files():
    try:
        dist = importlib.metadata.distribution("mediapipe")
    except importlib.metadata.PackageNotFoundError:
        return None
    if dist.version != MEDIAPIPE_VERSION:
        return None
    paths = {name: pathlib.Path(dist.locate_file(f.path)) for name, f in MODEL_FILES.items()}
    if not all(_verified(paths[name], f.sha256) for name, f in MODEL_FILES.items()):
        return None
    return paths


def _verified(path, sha256):
    return path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == sha256


def _fetch_into(cache):
    advice = (f"put {', '.join(pathlib.Path(f.path).name for f in MODEL_FILES.values())} from the "
              f"mediapipe {MEDIAPIPE_VERSION} wheel into {cache} (docs/photos.md), or give --landmarks")
    with tempfile.TemporaryDirectory() as tmp:
        try:
            done = subprocess.run(pip_download_command(tmp), capture_output=True, text=True,
                                  timeout=DOWNLOAD_TIMEOUT_S, check=False)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise ModelFilesUnavailable(f"cannot fetch MediaPipe's face models ({type(e).__name__}); "
                                        f"{advice}") from None
        wheels = sorted(pathlib.Path(tmp).glob(f"mediapipe-{MEDIAPIPE_VERSION}-*.whl"))
        if done.returncode or not wheels:
            last = (done.stderr.strip().splitlines() or ["no wheel"])[-1]
            raise ModelFilesUnavailable(f"cannot download mediapipe {MEDIAPIPE_VERSION} from PyPI for its "
                                        f"face models ({last}); {advice}")
        try:
            cache.mkdir(parents=True, exist_ok=True)
            with zipfile.ZipFile(wheels[0]) as wheel:
                for f in MODEL_FILES.values():
                    _extract_verified(wheel, f, cache / pathlib.Path(f.path).name)
        except (OSError, zipfile.BadZipFile) as e:
            raise ModelFilesUnavailable(f"cannot put MediaPipe's face models into {cache} ({e}); set "
                                        "GAZEJAX_CACHE to a writable folder") from None


def _extract_verified(wheel, model_file, destination):
    """Writes the file beside its destination and renames it, so a reader never sees half a file."""
    try:
        data = wheel.read(model_file.path)
    except KeyError:
        raise ModelFilesUnavailable(f"the downloaded mediapipe wheel has no {model_file.path}") from None
    if hashlib.sha256(data).hexdigest() != model_file.sha256:
        raise ModelFilesUnavailable(f"{model_file.path} in the downloaded mediapipe wheel does not have the "
                                    "expected sha256; not used")
    with tempfile.NamedTemporaryFile(dir=destination.parent, prefix=destination.name, delete=False) as out:
        out.write(data)
    os.chmod(out.name, 0o644)  # a temporary file is private; the cache is not
    os.replace(out.name, destination)
