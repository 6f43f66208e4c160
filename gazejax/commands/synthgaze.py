"""``gazejax synthgaze``: build the SynthGaze TFDS dataset and/or a preview sheet."""

import pathlib

from gazejax.cli import UsageError
from gazejax.commands.outputs import check_directory_destination, check_image_destination

HELP = "build the SynthGaze dataset (and a preview contact sheet)"
PREVIEW_ROWS = 4
PREVIEW_MAX_RESOLUTION = 128


def add_arguments(parser):
    parser.add_argument("--out", help="TFDS data_dir to write the dataset into (created if missing)")
    parser.add_argument(
        "--config",
        help="a predefined config (r64_tiny, r128_small, r128, r512); overrides the sizes",
    )
    parser.add_argument(
        "--resolution", type=int, default=128, help="image side, a multiple of 8 in 32..512"
    )
    parser.add_argument("--identities", type=int, default=20, help="number of identities (>= 2)")
    parser.add_argument("--frames", type=int, default=10, help="gaze samples per identity")
    parser.add_argument("--views", type=int, default=4, help="cameras per frame")
    parser.add_argument(
        "--test-identities",
        type=int,
        help="identities held out for the test split (default: a fifth)",
    )
    parser.add_argument("--seed", type=int, default=0, help="all randomness derives from this")
    parser.add_argument(
        "--preview", help="also write a contact sheet image (.png; rows identities, columns sweeps)"
    )


def _settings(args):
    from gazejax.data import synthgaze_tfds

    if args.config:
        try:
            c = synthgaze_tfds.config_for_name(args.config)
        except ValueError as e:
            raise UsageError(str(e)) from None
        return c.resolution, c.identities, c.frames, c.views, c.test_identities, c.seed
    if args.identities < 2:
        raise UsageError(
            "--identities must be at least 2 (train and test identities are disjoint), "
            f"got {args.identities}"
        )
    test = args.test_identities
    if test is None:
        test = max(1, args.identities // 5)
    settings = args.resolution, args.identities, args.frames, args.views, test, args.seed
    try:
        synthgaze_tfds.check_config(
            synthgaze_tfds.config_for_name(synthgaze_tfds.custom_name(*settings))
        )
    except ValueError as e:
        raise UsageError(str(e)) from None
    return settings


def run(args):
    if not args.out and not args.preview:
        raise UsageError("nothing to do: give --out DIR (dataset) and/or --preview PNG")
    from gazejax.data.synthgaze import sample

    try:
        sample.check_resolution(args.resolution)
    except ValueError as e:
        raise UsageError(str(e)) from None
    settings = _settings(args)
    resolution, identities, frames, views, test, seed = settings
    if args.out:
        check_directory_destination(args.out, "--out")
    if args.preview:
        check_image_destination(args.preview, "--preview")

    if args.preview:
        from gazejax.data.synthgaze.contact_sheet import save_contact_sheet

        pathlib.Path(args.preview).parent.mkdir(parents=True, exist_ok=True)
        rows = list(range(min(identities, PREVIEW_ROWS)))
        save_contact_sheet(args.preview, seed, rows, min(resolution, PREVIEW_MAX_RESOLUTION))
        print(f"wrote {args.preview}")
    if args.out:
        from gazejax.data import synthgaze_tfds

        pathlib.Path(args.out).mkdir(parents=True, exist_ok=True)
        name = synthgaze_tfds.build(args.out, resolution, identities, frames, views, seed, test)
        print(f"built synthgaze/{name} in {args.out}")
    return 0
