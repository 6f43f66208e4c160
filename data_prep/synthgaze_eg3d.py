"""Writes a SynthGaze build in EG3D's dataset layout, for the "+DP" filter (``eg3d_gaze_filter.py``).

Usage::

    python data_prep/synthgaze_eg3d.py --name r128_i100_f8_v6_t10_s0_cg80_gs25 --out FOLDER
                                       [--data-dir D] [--split train]

``--name`` is a SynthGaze build in ``--data-dir`` (default: the training data
directory), as ``configs/eg3d.py:synthgaze,bias=on`` builds it. Writes every
record's image and EG3D camera label as ``FOLDER/00000/img00000000.png`` ... and
``FOLDER/dataset.json``; then::

    python data_prep/eg3d_gaze_filter.py --source FOLDER --estimator JUDGE --out D2

keeps the records whose estimated gaze |yaw| is large, as the paper's "+DP" does
with FFHQ. A ``--out`` that exists and is not empty is refused.
"""

import argparse
import pathlib
import sys

import tqdm

from gazejax.data import ffhq_eg3d, synthgaze_tfds
from gazejax.data.conversion import DataError
from gazejax.errors import first_line

PROG = "synthgaze_eg3d"


def make_parser():
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True, help="SynthGaze build (config name), e.g. r128_i100_f8_v6_t10_s0_cg80_gs25")
    parser.add_argument("--out", required=True, help="new folder for the EG3D-layout copy")
    parser.add_argument("--data-dir", default=None, help="where the build is (default: the training data directory)")
    parser.add_argument("--split", default="train", help="split to write (default train)")
    return parser


def main(argv=None):
    from gazejax.data.pipeline import default_data_dir

    args = make_parser().parse_args(argv)
    data_dir = pathlib.Path(args.data_dir).expanduser() if args.data_dir else default_data_dir()
    try:
        source = synthgaze_tfds.data_source(data_dir, args.name, args.split)
        bar = tqdm.tqdm(source, total=len(source), unit="image", disable=None)  # no bar off a terminal
        pairs = ((r["image"], r["camera"]) for r in bar)
        count = ffhq_eg3d.write_folder(args.out, pairs)
    except (DataError, OSError, ValueError) as e:
        print(f"{PROG}: error: {first_line(e)}", file=sys.stderr, flush=True)
        return 2
    print(f"wrote {count} images and dataset.json to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
