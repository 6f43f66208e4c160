"""Cross-dataset evaluation configs (``eval_on=``): train on ETH-XGaze, evaluate on another dataset.

Each accepted variant's evaluation data is read back from tiny files written by
the datasets' own test writers; each refused one gives one line saying why.
"""

import pathlib

import numpy as np
import pytest

import test_gazenerf_h5
import test_mggr_columbia
from gazejax.data import columbia, pairing, pipeline
from gazejax.methods.gazenerf.evaluation import protocol_pairs
from gazejax.train.config_loading import ConfigError, load_config

CONFIGS = pathlib.Path(__file__).resolve().parents[1] / "configs"
DATASETS = ("columbia", "mpiifacegaze", "gazecapture")


@pytest.mark.parametrize("dataset,reason", [
    ("columbia", "no camera label"), ("mpiifacegaze", "face mask and MPIIFaceGaze records carry none"),
    ("gazecapture", "no gaze angles")])
def test_livegaze_refuses_each_dataset_saying_why(dataset, reason):
    with pytest.raises(ConfigError, match=f"cannot be evaluated on {dataset}: .*{reason}") as error:
        load_config(f"{CONFIGS / 'livegaze.py'}:eth_xgaze,eval_on={dataset}")
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("dataset", ["mpiifacegaze", "gazecapture"])
def test_mggr_refuses_datasets_without_eye_patches(dataset):
    with pytest.raises(ConfigError, match=f"mggr cannot be evaluated on {dataset}: .*eye patches"):
        load_config(f"{CONFIGS / 'mggr.py'}:eth_xgaze,eval_on={dataset}")


@pytest.mark.parametrize("method", ["mggr", "gazenerf"])
def test_eval_on_needs_the_eth_xgaze_model(method):
    with pytest.raises(ConfigError, match=f"{method}.py:eth_xgaze,eval_on=columbia, not 'paper'"):
        load_config(f"{CONFIGS / method}.py:paper,eval_on=columbia")


def test_mggr_on_columbia_reads_eye_patch_pairs_of_one_head_pose(tmp_path):
    names = ["0051_2m_0P_0V_0H.jpg", "0051_2m_0P_10V_-5H.jpg", "0052_2m_15P_-10V_5H.jpg",
             "0052_2m_15P_0V_10H.jpg"]
    image, landmarks = test_mggr_columbia._face((130, 70), (70, 70))
    records = [columbia.patch_record(name, image, landmarks) for name in names]
    (tmp_path / "columbia").mkdir()
    columbia.write_split(records, tmp_path / "columbia" / "test.npz")

    config = load_config(f"{CONFIGS / 'mggr.py'}:eth_xgaze,eval_on=columbia", [f"data.dir={tmp_path}"])
    assert config.model.angle_scale_deg == (90.0, 120.0)  # the ETH-XGaze model is unchanged
    pipe = pipeline.make_pipeline(config.data, config.data.eval_split, global_batch_size=4, seed=0,
                                  process_index=0, process_count=1)
    batch = pipe.local_batch(0)
    source, target = batch["source"], batch["target"]
    assert source["left_eye_patch"].shape == (4, 64, 64, 3)
    np.testing.assert_array_equal(source["identity"], target["identity"])
    np.testing.assert_array_equal(source["view"], target["view"])
    assert np.all(source["frame"] != target["frame"])
    assert set(source["identity"].tolist()) == {51, 52}


@pytest.mark.parametrize("dataset,inputs,subjects", [
    ("columbia", 52, 56), ("mpiifacegaze", 100, 15), ("gazecapture", 50, 139)])
def test_gazenerf_reads_its_h5_files_of_each_dataset_as_protocol_pairs(tmp_path, dataset, inputs, subjects):
    folder = tmp_path / f"gazenerf_{dataset}"
    folder.mkdir()
    for subject in range(2):  # Columbia and GazeCapture files have no frame_index
        test_gazenerf_h5.write_subject(folder / f"subject{subject:04d}.h5", subject, drop=("frame_index",))

    config = load_config(f"{CONFIGS / 'gazenerf.py'}:eth_xgaze,eval_on={dataset}", [f"data.dir={tmp_path}"])
    assert (config.eval.inputs_per_subject, config.eval.max_subjects) == (inputs, subjects)
    source, cache_path = pipeline.open_source(config.data, config.data.eval_split)
    index = pairing.build_index(source, cache_path)
    assert len(source) == 2 * test_gazenerf_h5.N
    pairs = protocol_pairs(index.identity, index.frame, index.view, config.eval.inputs_per_subject,
                           config.eval.max_subjects)
    assert len(pairs) == 2 * test_gazenerf_h5.N  # every image of both subjects is an input
    assert all(index.identity[i] == index.identity[j] and i != j for i, j in pairs)
    assert source[pairs[0][0]]["image"].shape == (test_gazenerf_h5.R, test_gazenerf_h5.R, 3)
