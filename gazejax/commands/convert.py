"""``gazejax convert NETWORK SRC --out DST``: a PyTorch checkpoint -> an orbax checkpoint."""

from gazejax.cli import UsageError
from gazejax.commands.outputs import check_directory_destination

HELP = "convert a PyTorch checkpoint to a Flax/orbax checkpoint"


def add_arguments(parser):
    from gazejax.convert import NETWORKS, SNAPSHOT_NETWORKS  # noqa: PLC0415 -- imports JAX, only for this command

    parser.add_argument("network", choices=sorted([*NETWORKS, *SNAPSHOT_NETWORKS]))
    parser.add_argument("src", help="state_dict file (.pkl, .pth, .pth.tar; 'module.' prefixes are fine), or for "
                        "eg3d a release snapshot (ffhq512-128.pkl: G_ema and D are taken, no code in it runs); "
                        "reading it needs PyTorch: pip install 'gazejax[torch]'")
    parser.add_argument("--out", required=True, help="output checkpoint directory (missing folders are created)")
    parser.add_argument(
        "--backbone", help="lpips only: torchvision VGG16 state_dict, when SRC holds just the lin layers"
    )
    parser.add_argument(
        "--binning", choices=("gaze360", "mpiigaze"), help="l2cs only (default: from the head size)"
    )
    parser.add_argument(
        "--convention",
        choices=("gazenerf", "eth"),
        help="gaze estimators only: label convention the weights were trained with (default gazenerf)",
    )
    parser.add_argument(
        "--stem-pool-stride", type=int, choices=(1, 2), help="xgaze-resnet50 only: 1 for ST-ED's variant"
    )
    parser.add_argument("--force", action="store_true", help="overwrite a non-empty --out")


def run(args):
    from gazejax.convert import ConversionError, convert, save  # noqa: PLC0415 -- starts JAX

    if args.backbone and args.network != "lpips":
        raise UsageError("--backbone only applies to lpips")
    check_directory_destination(args.out, "--out")
    sources = [args.src] + ([args.backbone] if args.backbone else [])
    options = {
        "binning": args.binning,
        "convention": args.convention,
        "stem_pool_stride": args.stem_pool_stride,
    }
    try:
        variables, info = convert(args.network, sources, options)
        save(args.out, info, variables, force=args.force)
    except ConversionError as e:
        raise UsageError(str(e)) from None
    print(f"wrote {args.out}: " + ", ".join(f"{k}={v}" for k, v in info.items()))
    return 0
