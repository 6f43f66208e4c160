"""The generic conversion core, state_dict reading and the checkpoint round trip."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from pretrained_torch_nets import images, randomize, to_nchw

import gazejax.convert
from gazejax.cli import main
from gazejax.convert import ConversionError, read_state_dict
from gazejax.convert.tree import map_state_dict
from gazejax.torch_reference.resnet import XGazeResNet
from gazejax.torch_reference.vgg import GazeNeRFVGG


def _abstract():
    return {
        "params": {
            "conv": {"kernel": jax.ShapeDtypeStruct((3, 3, 2, 4), jnp.float32)},
            "fc": {"kernel": jax.ShapeDtypeStruct((4, 5), jnp.float32), "bias": jax.ShapeDtypeStruct((5,), jnp.float32)},
            "bn": {"scale": jax.ShapeDtypeStruct((4,), jnp.float32), "bias": jax.ShapeDtypeStruct((4,), jnp.float32)},
        },
        "batch_stats": {"bn": {"mean": jax.ShapeDtypeStruct((4,), jnp.float32), "var": jax.ShapeDtypeStruct((4,), jnp.float32)}},
    }


def _state():
    rng = np.random.default_rng(0)
    return {
        "conv.weight": rng.random((4, 2, 3, 3), np.float32),
        "fc.weight": rng.random((5, 4), np.float32),
        "fc.bias": rng.random(5, np.float32),
        "bn.weight": rng.random(4, np.float32),
        "bn.bias": rng.random(4, np.float32),
        "bn.running_mean": rng.random(4, np.float32),
        "bn.running_var": rng.random(4, np.float32),
        "bn.num_batches_tracked": np.array(7),
        "old_head.weight": rng.random((2, 2), np.float32),
    }


def _identity(prefix):
    return (prefix,) if prefix in ("conv", "fc", "bn") else None


def test_layouts_and_collections():
    state = _state()
    out = map_state_dict(state, _identity, _abstract(), ignored=(r"old_head\..*",))
    np.testing.assert_array_equal(out["params"]["conv"]["kernel"], state["conv.weight"].transpose(2, 3, 1, 0))
    np.testing.assert_array_equal(out["params"]["fc"]["kernel"], state["fc.weight"].T)
    np.testing.assert_array_equal(out["params"]["bn"]["scale"], state["bn.weight"])
    np.testing.assert_array_equal(out["batch_stats"]["bn"]["var"], state["bn.running_var"])
    assert "num_batches_tracked" not in str(jax.tree_util.tree_structure(out))


def test_all_problems_reported_together():
    state = _state()
    state["fc.weight"] = np.zeros((6, 4), np.float32)
    del state["bn.running_mean"]
    with pytest.raises(ConversionError) as info:
        map_state_dict(state, _identity, _abstract(), what="toy")
    msg = str(info.value)
    assert msg.startswith("checkpoint does not match toy: ")
    assert "1 shape mismatch(es): fc.weight is (6, 4), expected (5, 4)" in msg
    assert "1 missing Flax variable(s): batch_stats/bn/mean" in msg
    assert "1 unexpected key(s): old_head.weight" in msg
    assert "params/fc/kernel" not in msg  # a mis-shaped entry is not also "missing"


def test_read_state_dict_unwraps_and_strips(tmp_path):
    w = torch.arange(6.0).reshape(2, 3)
    torch.save({"model_state": {"module.fc.weight": w}, "epoch": 60}, tmp_path / "a.pth.tar")
    got = read_state_dict(tmp_path / "a.pth.tar")
    assert list(got) == ["fc.weight"]
    np.testing.assert_array_equal(got["fc.weight"], w.numpy())
    (tmp_path / "junk.pkl").write_bytes(b"not a checkpoint")
    with pytest.raises(ConversionError, match="not a readable PyTorch checkpoint"):
        read_state_dict(tmp_path / "junk.pkl")
    with pytest.raises(ConversionError, match="no such checkpoint file"):
        read_state_dict(tmp_path / "missing.pkl")


def test_xgaze_resnet_through_cli_matches_torch(tmp_path):
    # ResNet-18-sized backbone for speed; the ResNet-50 layers are covered in test_pretrained_resnet.
    torch_net = randomize(XGazeResNet(depth=18, pool_stride=1), seed=4)
    torch.save({"model_state": torch_net.state_dict()}, tmp_path / "resnet.pth.tar")
    args = ["convert", "xgaze-resnet50", str(tmp_path / "resnet.pth.tar"), "--out", str(tmp_path / "ck")]
    assert main(args + ["--stem-pool-stride", "1", "--convention", "eth"]) == 0
    module, variables, info = gazejax.convert.load(tmp_path / "ck")
    assert (info["arch"], info["stem_pool_stride"], info["convention"]) == ("resnet18", 1, "eth")
    x = images(2, 48, seed=4)
    with torch.no_grad():
        gaze, head = (t.numpy() for t in torch_net(to_nchw(x)))
    out = jax.jit(module.apply)(variables, x)
    np.testing.assert_allclose(out["gaze"], gaze, atol=1e-4, rtol=0)
    np.testing.assert_allclose(out["head"], head, atol=1e-4, rtol=0)
    assert main(args) == 2  # existing output directory without --force


def test_gazenerf_vgg_estimator_matches_torch(tmp_path):
    torch_net = randomize(GazeNeRFVGG(), seed=5)
    torch.save({"model_state": torch_net.state_dict()}, tmp_path / "epoch_60_512_ckpt.pth.tar")
    variables, info = gazejax.convert.convert("gazenerf-vgg-estimator", [tmp_path / "epoch_60_512_ckpt.pth.tar"])
    gazejax.convert.save(tmp_path / "ck", info, variables)
    module, variables, info = gazejax.convert.load(tmp_path / "ck")
    x = images(2, 32, seed=5)
    with torch.no_grad():
        gaze, head = (t.numpy() for t in torch_net(to_nchw(x)))
    out = jax.jit(module.apply)(variables, x)
    np.testing.assert_allclose(out["gaze"], gaze, atol=1e-4, rtol=0)
    np.testing.assert_allclose(out["head"], head, atol=1e-4, rtol=0)
    assert np.abs(gaze).max() > 1e-2


def test_load_rejects_a_plain_directory(tmp_path):
    with pytest.raises(ConversionError, match="not a converted checkpoint"):
        gazejax.convert.load(tmp_path)


def test_non_finite_weights_are_refused():
    state = _state()
    state["fc.bias"][2] = np.nan
    state["bn.running_var"][0] = np.inf
    state["old_head.weight"][0, 0] = np.nan  # ignored keys are not the network's business
    with pytest.raises(ConversionError) as info:
        map_state_dict(state, _identity, _abstract(), ignored=(r"old_head\..*",), what="toy")
    assert str(info.value) == ("checkpoint of toy has weights that are not finite: "
                               "2 tensor(s) holding NaN or inf: fc.bias, bn.running_var")


def test_convert_refuses_nan_weights(tmp_path, capsys):
    torch_net = randomize(XGazeResNet(depth=18, pool_stride=1), seed=4)
    state = torch_net.state_dict()
    state["gaze_fc.0.weight"][0, 0] = float("nan")
    torch.save(state, tmp_path / "nan.pth")
    out = tmp_path / "ck"
    assert main(["convert", "xgaze-resnet50", str(tmp_path / "nan.pth"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "has weights that are not finite: 1 tensor(s) holding NaN or inf: gaze_fc.0.weight" in err
    assert not out.exists()


def test_files_that_are_not_state_dicts_are_named_for_what_they_are(tmp_path):
    torch.save(torch.nn.Linear(2, 2), tmp_path / "model.pth")  # a whole model, not its state_dict
    with pytest.raises(ConversionError, match="holds Python objects besides tensors .* save its state_dict"):
        read_state_dict(tmp_path / "model.pth")
    (tmp_path / "face.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(32))
    with pytest.raises(ConversionError, match="neither a zip archive nor a pickle"):
        read_state_dict(tmp_path / "face.png")
    torch.save({"fc.weight": torch.ones(2, 2)}, tmp_path / "legacy.pth", _use_new_zipfile_serialization=False)
    assert list(read_state_dict(tmp_path / "legacy.pth")) == ["fc.weight"]
