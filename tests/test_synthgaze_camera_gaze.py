"""SynthGaze's camera-facing gaze bias (``camera_gaze_share``): FFHQ's "people look into the lens";
and its portrait eyes (``gaze_spread``), which look roughly where the face points."""

import jax
import numpy as np
import pytest

from gazejax.data import synthgaze, synthgaze_tfds
from gazejax.data.synthgaze import params
from gazejax.geometry import camera_from_label, pitchyaw_to_vector

IDENTITIES = np.repeat(np.arange(50), 6)
FRAMES = np.tile(np.repeat(np.arange(3), 2), 50)
VIEWS = np.tile(np.arange(2), 150)


def test_camera_facing_records_look_from_between_the_eyes_into_the_camera():
    ids, frames, views = IDENTITIES[:30], FRAMES[:30], VIEWS[:30]
    labels = synthgaze.record_labels(0, ids, frames, views, camera_gaze_share=1.0)
    key = jax.random.key(0)
    for i, identity in enumerate(ids):
        codes = params.identity_codes(key, identity)
        _, light = params.frame_draws(key, identity, frames[i])
        scene = params.build_scene(**codes, illumination_code=light, gaze_head=np.zeros(2, np.float32))
        midpoint = np.asarray(scene.eye_centres).mean(0)
        cam2world, _ = camera_from_label(labels["camera"][i])
        rotation, origin = np.asarray(cam2world[:3, :3]), np.asarray(cam2world[:3, 3])
        to_camera = rotation.T @ (origin - midpoint)  # camera frame
        np.testing.assert_allclose(
            np.asarray(pitchyaw_to_vector(labels["gaze"][i])), to_camera / np.linalg.norm(to_camera), atol=1e-5
        )
    # the eyes sit off the camera's look-at point, so the labels are near (0, 0) but not equal to it
    assert 0.001 < np.abs(labels["gaze"]).max() < np.radians(5)


def test_rendered_records_carry_the_camera_facing_gaze():
    ids, frames, views = IDENTITIES[:2], FRAMES[:2], VIEWS[:2]
    rendered = synthgaze.records(0, ids, frames, views, 32, camera_gaze_share=1.0)
    labels = synthgaze.record_labels(0, ids, frames, views, camera_gaze_share=1.0)
    np.testing.assert_allclose(rendered["gaze_head"], labels["gaze_head"], atol=1e-6)
    plain = synthgaze.records(0, ids, frames, views, 32)
    assert np.abs(plain["image"].astype(int) - rendered["image"].astype(int)).max() > 50  # the eyes moved


def test_the_share_is_drawn_per_record_and_zero_changes_nothing():
    plain = synthgaze.record_labels(0, IDENTITIES, FRAMES, VIEWS)
    zero = synthgaze.record_labels(0, IDENTITIES, FRAMES, VIEWS, camera_gaze_share=0.0)
    for name in plain:
        np.testing.assert_array_equal(plain[name], zero[name])
    biased = synthgaze.record_labels(0, IDENTITIES, FRAMES, VIEWS, camera_gaze_share=0.3)
    looks = np.abs(biased["gaze_head"] - plain["gaze_head"]).max(-1) > 0
    assert 0.2 < looks.mean() < 0.4  # 300 records, share 0.3
    np.testing.assert_array_equal(biased["camera"], plain["camera"])
    per_view = looks.reshape(150, 2)
    assert (per_view[:, 0] != per_view[:, 1]).any()  # one view of a frame can look, the other not


def test_gaze_spread_scales_the_head_frame_gaze_and_leaves_camera_facing_records_alone():
    full = synthgaze.record_labels(0, IDENTITIES, FRAMES, VIEWS, camera_gaze_share=0.5)
    narrow = synthgaze.record_labels(0, IDENTITIES, FRAMES, VIEWS, camera_gaze_share=0.5, gaze_spread=0.25)
    at_camera = synthgaze.record_labels(0, IDENTITIES, FRAMES, VIEWS, camera_gaze_share=1.0)["gaze_head"]
    looks = np.all(full["gaze_head"] == at_camera, axis=-1)
    assert 0.3 < looks.mean() < 0.7
    # the same records look into the camera, with the same gaze; the others' gaze is a quarter of the draw
    np.testing.assert_array_equal(narrow["gaze_head"][looks], full["gaze_head"][looks])
    np.testing.assert_allclose(narrow["gaze_head"][~looks], 0.25 * full["gaze_head"][~looks], rtol=1e-6)
    np.testing.assert_array_equal(narrow["camera"], full["camera"])
    assert np.abs(narrow["gaze_head"][~looks]).max(0) == pytest.approx(np.radians([25, 35]) / 4, rel=0.1)
    rendered = synthgaze.records(0, IDENTITIES[:1], FRAMES[:1], VIEWS[:1], 32, gaze_spread=0.25)
    np.testing.assert_allclose(rendered["gaze_head"], 0.25 * synthgaze.record_labels(
        0, IDENTITIES[:1], FRAMES[:1], VIEWS[:1])["gaze_head"], rtol=1e-6)


def test_biased_builds_are_named_apart_and_bad_shares_are_refused():
    name = synthgaze_tfds.custom_name(64, 10, 4, 2, 2, 0, camera_gaze_share=0.8)
    assert name == "r64_i10_f4_v2_t2_s0_cg80"
    assert synthgaze_tfds.config_for_name(name).camera_gaze_share == pytest.approx(0.8)
    assert synthgaze_tfds.config_for_name("r64_i10_f4_v2_t2_s0").camera_gaze_share == 0.0
    assert synthgaze_tfds.custom_name(64, 10, 4, 2, 2, 0, one_light=True, camera_gaze_share=0.05).endswith(
        "_onelight_cg5"
    )
    for bad in (1.5, -0.1, True, "0.5", 0.125):
        with pytest.raises(ValueError, match="camera_gaze_share"):
            synthgaze_tfds.custom_name(64, 10, 4, 2, 2, 0, camera_gaze_share=bad)
    with pytest.raises(ValueError, match="camera_gaze_share"):
        synthgaze.record_labels(0, [0], [0], [0], camera_gaze_share=2.0)
    name = synthgaze_tfds.custom_name(64, 10, 4, 2, 2, 0, camera_gaze_share=0.8, gaze_spread=0.25)
    assert name == "r64_i10_f4_v2_t2_s0_cg80_gs25"
    assert synthgaze_tfds.config_for_name(name).gaze_spread == pytest.approx(0.25)
    assert synthgaze_tfds.config_for_name("r64_i10_f4_v2_t2_s0_cg80").gaze_spread == 1.0
    assert synthgaze_tfds.custom_name(64, 10, 4, 2, 2, 0, gaze_spread=0.25).endswith("_s0_gs25")
    for bad in (0.0, 1.5, True, "0.5", 0.125):
        with pytest.raises(ValueError, match="gaze_spread"):
            synthgaze_tfds.custom_name(64, 10, 4, 2, 2, 0, gaze_spread=bad)
    with pytest.raises(ValueError, match="gaze_spread"):
        synthgaze.records(0, [0], [0], [0], 32, gaze_spread=-1.0)


def test_eg3d_bias_option_trains_on_the_biased_build(monkeypatch, tmp_path):
    from gazejax.data import pipeline  # noqa: PLC0415
    from gazejax.train.config_loading import load_config  # noqa: PLC0415

    built = {}
    monkeypatch.setattr(synthgaze_tfds, "build", lambda data_dir, **kw: built.update(kw) or "built")
    monkeypatch.setattr(synthgaze_tfds, "data_source", lambda data_dir, name, split: [])
    for arg, share, spread in (("tiny", 0.0, 1.0), ("tiny,bias=on", 0.8, 0.25),
                               ("synthgaze,bias=on,gaze=on", 0.8, 0.25), ("synthgaze,bias=control", 0.0, 0.25)):
        config = load_config(f"configs/eg3d.py:{arg}", [f"data.dir={tmp_path}"])
        pipeline.open_source(config.data, "train")
        assert (built["camera_gaze_share"], built["gaze_spread"]) == (share, spread), arg
    for bias in ("on", "control"):
        with pytest.raises(ValueError, match=f"bias={bias} builds SynthGaze portraits"):
            load_config(f"configs/eg3d.py:ffhq,bias={bias}")
