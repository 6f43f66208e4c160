"""The ``synthgaze`` TFDS builder (TensorFlow-free) and its two helpers.

Features are plain ``tfds.features.Tensor`` (uint8 images and masks with zlib
encoding), files are ``array_record``, so building and reading never import
TensorFlow. Identities ``0 .. identities - test_identities - 1`` form the
``train`` split and the last ``test_identities`` the ``test`` split (disjoint).
Shuffling is disabled: within a split, records are ordered by
(identity, frame, view), so record ``i`` of a split is
``identity = first + i // (frames * views)``, ``frame = i // views % frames``,
``view = i % views``.

Typical use::

    name = build(data_dir, resolution=64, identities=10, frames=4, views=3)
    train = data_source(data_dir, name, "train")   # random access, numpy dicts
"""

import dataclasses
import re

import numpy as np
import tensorflow_datasets as tfds
import tqdm

from gazejax.data.synthgaze import anatomy, sample

# Records fetched from the renderer at a time (bigger images, smaller batches).
BATCH_PIXELS = 8 * 128 * 128


@dataclasses.dataclass(eq=False)
class SynthGazeConfig(tfds.core.BuilderConfig):
    """Size and seed of one SynthGaze build; ``name`` must be unique per setting."""

    resolution: int = 64
    identities: int = 4
    frames: int = 2
    views: int = 2
    test_identities: int = 1
    seed: int = 0
    one_light: bool = False  # every frame of an identity lit as its frame 0
    camera_gaze_share: float = 0.0  # share of records whose eyes look at their camera (FFHQ's bias)
    gaze_spread: float = 1.0  # scales the head-frame gaze draw (portraits look roughly ahead)


def _config(name, resolution, identities, frames, views, test_identities, description):
    return SynthGazeConfig(
        name=name,
        description=description,
        resolution=resolution,
        identities=identities,
        frames=frames,
        views=views,
        test_identities=test_identities,
    )


PREDEFINED = [
    _config("r64_tiny", 64, 4, 2, 2, 1, "64^2, 4 identities x 2 frames x 2 views: tests"),
    _config("r128_small", 128, 20, 10, 4, 4, "128^2, 20 identities x 10 frames x 4 views"),
    _config("r128", 128, 200, 20, 9, 20, "128^2, 200 identities x 20 frames x 9 views"),
    _config("r512", 512, 200, 20, 9, 20, "512^2, 200 identities x 20 frames x 9 views"),
]
_CUSTOM = re.compile(r"^r(\d+)_i(\d+)_f(\d+)_v(\d+)_t(\d+)_s(\d+)(_onelight)?(?:_cg(\d+))?(?:_gs(\d+))?$")


def _whole_percent(name, value):
    percent = round(value * 100)
    if abs(percent - value * 100) > 1e-6:
        raise ValueError(f"{name} must be a whole percent, got {value!r}")
    return percent


def custom_name(
    resolution, identities, frames, views, test_identities, seed, one_light=False, camera_gaze_share=0.0,
    gaze_spread=1.0,
):
    """The config name that encodes a custom setting, e.g. ``r64_i10_f4_v3_t2_s0[_onelight][_cg80][_gs25]``.

    ``_cg<P>``: P percent of the records look at their camera; ``_gs<P>``: the
    head-frame gaze draw scaled to P percent (both whole percents).
    """
    sample.check_camera_gaze_share(camera_gaze_share)
    sample.check_gaze_spread(gaze_spread)
    camera, spread = _whole_percent("camera_gaze_share", camera_gaze_share), _whole_percent("gaze_spread", gaze_spread)
    name = f"r{resolution}_i{identities}_f{frames}_v{views}_t{test_identities}_s{seed}"
    return (name + ("_onelight" if one_light else "") + (f"_cg{camera}" if camera else "")
            + (f"_gs{spread}" if spread != 100 else ""))


def config_for_name(name):
    """A predefined config by name, or the custom config a :func:`custom_name` encodes."""
    for config in PREDEFINED:
        if config.name == name:
            return config
    match = _CUSTOM.match(name)
    if not match:
        known = ", ".join(c.name for c in PREDEFINED)
        raise ValueError(
            f"unknown synthgaze config {name!r}: use one of {known} "
            "or r<R>_i<N>_f<F>_v<V>_t<T>_s<seed>[_onelight][_cg<percent>][_gs<percent>]"
        )
    r, n, f, v, t, s = (int(g) for g in match.groups()[:6])
    return SynthGazeConfig(
        name=name,
        description="custom",
        resolution=r,
        identities=n,
        frames=f,
        views=v,
        test_identities=t,
        seed=s,
        one_light=match.group(7) is not None,
        camera_gaze_share=int(match.group(8) or 0) / 100,
        gaze_spread=int(match.group(9) or 100) / 100,
    )


def check_config(config):
    """Raises ValueError (one line) for a setting that cannot be built."""
    sample.check_resolution(config.resolution)
    sample.check_camera_gaze_share(config.camera_gaze_share)
    sample.check_gaze_spread(config.gaze_spread)
    for field in ("identities", "frames", "views"):
        if getattr(config, field) < 1:
            raise ValueError(f"{field} must be at least 1, got {getattr(config, field)}")
    if not 1 <= config.test_identities < config.identities:
        raise ValueError(
            "test identities must be at least 1 and fewer than identities "
            f"(train and test are disjoint), got {config.test_identities} of {config.identities}"
        )


def _features(resolution):
    r = resolution
    image = lambda shape: tfds.features.Tensor(  # noqa: E731
        shape=shape, dtype=np.uint8, encoding=tfds.features.Encoding.ZLIB
    )
    vector = lambda *shape: tfds.features.Tensor(shape=shape, dtype=np.float32)  # noqa: E731
    scalar = tfds.features.Tensor(shape=(), dtype=np.int32)
    p = anatomy.EYE_PATCH_SIZE
    return tfds.features.FeaturesDict(
        {
            "image": image((r, r, 3)),
            "face_mask": image((r, r)),
            "left_eye_mask": image((r, r)),
            "right_eye_mask": image((r, r)),
            "depth": vector(r, r),
            "gaze": vector(2),
            "gaze_head": vector(2),
            "head_pose": vector(2),
            "head_rotation": vector(3, 3),
            "camera": vector(25),
            "identity": scalar,
            "frame": scalar,
            "view": scalar,
            "shape_code": vector(anatomy.SHAPE_DIM),
            "texture_code": vector(anatomy.TEXTURE_DIM),
            "illumination_code": vector(anatomy.ILLUMINATION_DIM),
            "expression_code": vector(anatomy.EXPRESSION_DIM),
            "left_eye_patch": image((p, p, 3)),
            "right_eye_patch": image((p, p, 3)),
            "left_eye_patch_gaze": vector(2),
            "right_eye_patch_gaze": vector(2),
        }
    )


class SynthGaze(tfds.core.GeneratorBasedBuilder):
    """SynthGaze: procedural ray-cast heads with known gaze, pose, masks and depth."""

    name = "synthgaze"
    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "First release."}
    BUILDER_CONFIGS = PREDEFINED

    @tfds.core.utils.classproperty
    @classmethod
    def code_path(cls):
        # No checksums file to find next to this module (nothing is downloaded);
        # TFDS's default lookup would also import importlib_resources, which is
        # not one of our dependencies.
        return None

    def _info(self):
        return self.dataset_info_from_configs(
            features=_features(self.builder_config.resolution),
            disable_shuffling=True,
            homepage="https://github.com/gazejax/gazejax",
        )

    def _split_generators(self, dl_manager):
        del dl_manager  # everything is rendered, nothing downloaded
        c = self.builder_config
        n_train = c.identities - c.test_identities
        return {
            "train": self._generate_examples(range(n_train)),
            "test": self._generate_examples(range(n_train, c.identities)),
        }

    def _generate_examples(self, identities):
        c = self.builder_config
        axes = np.asarray(identities), np.arange(c.frames), np.arange(c.views)
        grid = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3)
        batch = max(1, BATCH_PIXELS // c.resolution**2)
        with tqdm.tqdm(total=len(grid), desc="synthgaze", unit="img") as bar:
            for start in range(0, len(grid), batch):
                ids = grid[start : start + batch]
                out = sample.records(
                    c.seed, *ids.T, c.resolution, c.one_light, c.camera_gaze_share, c.gaze_spread
                )
                out.pop("iris_mask")
                for i, (identity, frame, view) in enumerate(ids):
                    key = f"{identity:06d}_{frame:05d}_{view:03d}"
                    yield key, {k: v[i] for k, v in out.items()}
                bar.update(len(ids))


def build(
    data_dir,
    resolution,
    identities,
    frames,
    views,
    seed=0,
    test_identities=None,
    one_light=False,
    camera_gaze_share=0.0,
    gaze_spread=1.0,
):
    """Renders and writes a SynthGaze dataset; returns its config name.

    ``test_identities`` defaults to a fifth of the identities (at least 1);
    ``one_light`` lights every frame of an identity as its frame 0;
    ``camera_gaze_share`` of the records look at their camera, the others within
    ``gaze_spread`` of the full gaze range (whole percents).
    A setting equal to a predefined config reuses that config's name.
    """
    if test_identities is None:
        test_identities = max(1, identities // 5)
    name = custom_name(
        resolution, identities, frames, views, test_identities, seed, one_light, camera_gaze_share, gaze_spread
    )
    config = config_for_name(name)
    check_config(config)
    for predefined in PREDEFINED:
        if all(
            getattr(predefined, f) == getattr(config, f)
            for f in (
                "resolution", "identities", "frames", "views", "test_identities", "seed",
                "one_light", "camera_gaze_share", "gaze_spread",
            )
        ):
            config = predefined
    builder = SynthGaze(data_dir=str(data_dir), config=config, file_format="array_record")
    builder.download_and_prepare()
    return config.name


def data_source(data_dir, config_name, split):
    """Random-access sequence of record dicts (numpy) for one split of a built config."""
    builder = SynthGaze(
        data_dir=str(data_dir), config=config_for_name(config_name), file_format="array_record"
    )
    return builder.as_data_source(split=split)
