"""Gaze-Corrected EG3D's "+DP": keeps the images of an EG3D dataset whose estimated gaze |yaw| is large.

Usage::

    python data_prep/eg3d_gaze_filter.py --source FFHQ_512.zip --estimator EST_DIR --min-abs-yaw 0.4
                                         --out DIR [--preprocess official|crop] [--batch 16]
                                         [--workers N] [--work-dir W]

``--source`` is an EG3D zip or folder with ``dataset.json`` (as for
``data_prep/ffhq_eg3d.py``); ``--estimator`` a gaze estimator written by
``gazejax convert l2cs ...`` (the paper's ``L2CSNet_gaze360.pkl``) or exported
with a SynthGaze run. Images with estimated ``|yaw| > --min-abs-yaw`` radians
are kept. ``--preprocess official`` feeds the estimator the whole image resized
to 448 (the Gaze-Corrected EG3D code's); ``crop`` uses the estimator's own face
crop and input size. Writes ``DIR/ffhq_eg3d_gaze_filter/<config>`` (records as
``data_prep/ffhq_eg3d.py``'s) and ``DIR/ffhq_eg3d_gaze_filter/<config>_estimates.csv``
(every image's estimate and decision). See :mod:`gazejax.data.gaze_filter`.
A killed run, rerun with the same arguments, resumes.
"""

import argparse
import pathlib
import sys

from gazejax.data import conversion, gaze_filter
from gazejax.data.conversion import DataError
from gazejax.errors import first_line

PROG = "eg3d_gaze_filter"


def make_parser():
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--source", required=True, help="EG3D dataset zip or folder with dataset.json")
    parser.add_argument("--estimator", required=True, help="converted or exported gaze estimator directory")
    parser.add_argument("--min-abs-yaw", type=float, default=0.4,
                        help="keep images whose estimated |gaze yaw| exceeds this (radians)")
    parser.add_argument("--preprocess", choices=gaze_filter.PREPROCESSES, default="official",
                        help="official: whole image resized to 448; crop: the estimator's own face crop")
    parser.add_argument("--batch", type=int, default=16, help="images per estimator call")
    conversion.add_arguments(parser)
    return parser


def main(argv=None):
    from gazejax.data.pipeline import default_data_dir

    args = make_parser().parse_args(argv)
    out = pathlib.Path(args.out) if args.out else default_data_dir()
    try:
        estimate = gaze_filter.load_estimator(args.estimator, args.preprocess)
        summary, table = gaze_filter.filter_dataset(
            args.source, estimate, out, min_abs_yaw=args.min_abs_yaw, estimator=pathlib.Path(args.estimator).absolute(),
            preprocess=args.preprocess, batch=args.batch, workers=args.workers, work_dir=args.work_dir)
    except (DataError, OSError, RuntimeError) as e:
        print(f"{PROG}: error: {first_line(e)}", file=sys.stderr, flush=True)
        return 2
    for line in summary.lines():
        print(line)
    print(f"estimates and decisions: {table}")
    config = summary.dataset_dir.parent.name
    print(f'read it with data.builder="tfds:{gaze_filter.NAME}/{config}" data.dir="{out}"')
    return 0


if __name__ == "__main__":
    sys.exit(main())
