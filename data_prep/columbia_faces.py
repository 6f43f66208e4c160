"""Converts ColumbiaGaze whole-face photos into a TFDS dataset (the cross-dataset evaluation protocol).

Usage::

    python data_prep/columbia_faces.py --root "Columbia Gaze Data Set" [--size 512] [--out DIR]

Writes ``DIR/columbia_faces/r<size>/1.0.0``, split ``test`` (all 56
subjects); see :mod:`gazejax.data.columbia_faces`. For MGGR's eye patches use
``data_prep/columbia.py``. Parallel over subjects (``--workers``), resumable
(``--work-dir``), written atomically.
"""

import argparse
import sys

from gazejax.data import columbia_faces, conversion


def parser():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", required=True, help="the folder holding the subject folders 0001 ... 0056")
    p.add_argument("--size", type=int, default=512, help="output side (px)")
    conversion.add_arguments(p)
    return p


def main(argv=None):
    return conversion.run_script("columbia_faces", lambda a: columbia_faces.converter(a.root, a.size),
                                 argv, parser())


if __name__ == "__main__":
    sys.exit(main())
