"""L2CS-Net: bin decoding, the (yaw, pitch) -> our (pitch, yaw) conversion, and
end-to-end parity through ``gazejax convert`` with torch-saved state_dicts."""


import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from pretrained_torch_nets import images, randomize, to_nchw

import gazejax.convert
from gazejax.cli import main
from gazejax.geometry import pitchyaw_to_vector
from gazejax.models.l2cs import BINNINGS, bin_index, expected_angle_deg, logits_to_pitchyaw
from gazejax.torch_reference.resnet import L2CS

GAZE360 = BINNINGS["gaze360"]


def test_expectation_of_a_sharp_distribution_is_the_bins_left_edge():
    logits = jnp.full((2, 90), -1e4).at[0, 47].set(0.0).at[1, 0].set(0.0)
    np.testing.assert_allclose(expected_angle_deg(logits, GAZE360), [47 * 4 - 180, -180], atol=1e-3)
    uniform = expected_angle_deg(jnp.zeros((1, 28)), BINNINGS["mpiigaze"])
    np.testing.assert_allclose(uniform, [13.5 * 3 - 42], atol=1e-4)


def test_bin_index_matches_numpy_digitize():
    deg = np.array([-179.5, -3.0, 0.0, 3.99, 4.0, 120.2], np.float32)
    edges = np.arange(-180, 180, 4)
    np.testing.assert_array_equal(bin_index(jnp.asarray(deg), GAZE360), np.digitize(deg, edges) - 1)


def _gazehub_gazeto3d(yaw, pitch):
    # GazeHub's gazeto3d([yaw, pitch]) (the L2CS repository's ``utils.py``), written out here.
    return np.array([-np.cos(pitch) * np.sin(yaw), -np.sin(pitch), -np.cos(pitch) * np.cos(yaw)])


def test_l2cs_output_maps_to_our_pitch_yaw_with_gazehub_signs():
    # A net whose yaw head says +30 deg and pitch head says -12 deg.
    yaw_logits = jnp.full((1, 90), -1e4).at[0, (30 + 180) // 4].set(0.0)  # left edge 28 deg
    pitch_logits = jnp.full((1, 90), -1e4).at[0, (-12 + 180) // 4].set(0.0)  # -12 deg
    got = logits_to_pitchyaw({"yaw": yaw_logits, "pitch": pitch_logits}, GAZE360)[0]
    np.testing.assert_allclose(got, np.radians([-12.0, 28.0]), atol=1e-5)
    want_vector = _gazehub_gazeto3d(np.radians(28.0), np.radians(-12.0))
    np.testing.assert_allclose(pitchyaw_to_vector(got), want_vector, atol=1e-6)
    assert want_vector[0] < 0 and want_vector[1] > 0  # toward image-left (camera -x), looking down


def _save(state_dict, path, prefix=""):
    torch.save({prefix + k: v for k, v in state_dict.items()}, path)
    return str(path)


def test_convert_cli_with_module_prefix_matches_torch(tmp_path):
    torch_net = randomize(L2CS(18, 90), seed=1)
    src = _save(torch_net.state_dict(), tmp_path / "l2cs.pkl", prefix="module.")  # DataParallel
    assert main(["convert", "l2cs", src, "--out", str(tmp_path / "ck")]) == 0
    module, variables, info = gazejax.convert.load(tmp_path / "ck")
    assert info == {
        "network": "l2cs", "arch": "resnet18", "depth": 18, "binning": "gaze360",
        "num_bins": 90, "input_size": 448,
    }
    x = images(2, 64, seed=1)
    with torch.no_grad():
        yaw, pitch = (t.numpy() for t in torch_net(to_nchw(x)))
    logits = jax.jit(module.apply)(variables, x)
    np.testing.assert_allclose(logits["yaw"], yaw, atol=1e-4, rtol=0)
    np.testing.assert_allclose(logits["pitch"], pitch, atol=1e-4, rtol=0)
    # The reference's decoding, written out: softmax expectation * 4 - 180, degrees -> radians.
    dec = lambda l: np.radians((torch.softmax(torch.from_numpy(l), 1).numpy() * np.arange(90)).sum(1) * 4 - 180)
    np.testing.assert_allclose(logits_to_pitchyaw(logits, GAZE360), np.stack([dec(pitch), dec(yaw)], 1), atol=1e-4)


def test_convert_cli_rejects_a_wrong_shape_in_one_line(tmp_path, capsys):
    state = randomize(L2CS(18, 28), seed=2).state_dict()
    state["layer2.0.conv1.weight"] = torch.zeros(128, 64, 5, 5)
    del state["fc_pitch_gaze.bias"]
    state["extra.weight"] = torch.zeros(3)
    src = _save(state, tmp_path / "bad.pkl")
    assert main(["convert", "l2cs", src, "--out", str(tmp_path / "ck")]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err
    assert "layer2.0.conv1.weight is (128, 64, 5, 5), expected (128, 64, 3, 3)" in err
    assert "params/fc_pitch_gaze/bias" in err and "extra.weight" in err
    assert "mpiigaze" in err  # the 28-bin head was recognised
    assert not (tmp_path / "ck").exists()


def test_resnet50_gaze360_layout_converts(tmp_path):
    # Key names and shapes of the released L2CSNet_gaze360.pkl (324 keys, 23.9M params).
    state = {k: v.numpy() for k, v in L2CS(50, 90).state_dict().items()}
    assert len(state) == 324
    path = _save({k: torch.from_numpy(v) for k, v in state.items()}, tmp_path / "r50.pkl")
    variables, info = gazejax.convert.convert("l2cs", [path])
    assert (info["arch"], info["num_bins"]) == ("resnet50", 90)
    params = variables["params"]
    assert sum(x.size for x in jax.tree.leaves(params)) == 23_883_008 - 2051 * 3 - 3
    np.testing.assert_array_equal(
        params["backbone"]["layer4_0"]["downsample_conv"]["kernel"],
        state["layer4.0.downsample.0.weight"].transpose(2, 3, 1, 0),
    )
    np.testing.assert_array_equal(params["fc_yaw_gaze"]["kernel"], state["fc_yaw_gaze.weight"].T)
    np.testing.assert_array_equal(
        variables["batch_stats"]["backbone"]["layer3_5"]["bn3"]["var"], state["layer3.5.bn3.running_var"]
    )


def test_unknown_bin_count_is_a_clear_error(tmp_path):
    path = _save(L2CS(18, 45).state_dict(), tmp_path / "odd.pkl")
    with pytest.raises(gazejax.convert.ConversionError, match="no known L2CS binning has 45 bins"):
        gazejax.convert.convert("l2cs", [path])
