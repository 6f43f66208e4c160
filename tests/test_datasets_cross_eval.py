"""Cross-dataset evaluation configs (``eval_on=``): train on ETH-XGaze, evaluate on another dataset.

Each accepted variant's evaluation data is read back from tiny files written by
the datasets' own test writers; each refused one gives one line saying why.
"""

import pathlib

import numpy as np
import pytest

import test_datasets_mpiifacegaze
import test_gazenerf_h5
import test_mggr_columbia
from gazejax.data import columbia, pairing, pipeline
from gazejax.methods.gazenerf import evaluation as gazenerf_evaluation
from gazejax.methods.gazenerf.evaluation import protocol_pairs
from gazejax.train.config_loading import ConfigError, load_config

CONFIGS = pathlib.Path(__file__).resolve().parents[1] / "configs"
DATASETS = ("columbia", "mpiifacegaze", "gazecapture")


@pytest.mark.parametrize("dataset,reason", [("columbia", "no camera label"), ("gazecapture", "no gaze angles")])
def test_livegaze_refuses_each_dataset_saying_why(dataset, reason):
    with pytest.raises(ConfigError, match=f"cannot be evaluated on {dataset}: .*{reason}") as error:
        load_config(f"{CONFIGS / 'livegaze.py'}:eth_xgaze,eval_on={dataset}")
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("dataset", ["mpiifacegaze", "gazecapture"])
def test_mggr_refuses_datasets_without_eye_patches(dataset):
    with pytest.raises(ConfigError, match=f"mggr cannot be evaluated on {dataset}: .*eye patches"):
        load_config(f"{CONFIGS / 'mggr.py'}:eth_xgaze,eval_on={dataset}")


def test_livegaze_on_mpiifacegaze_pairs_inside_each_person_and_scores_the_whole_image(tmp_path):
    from gazejax.data import conversion, mpiifacegaze
    from gazejax.methods.livegaze import evaluation as livegaze_evaluation

    root = tmp_path / "MPIIFaceGaze"
    for person, lines in test_datasets_mpiifacegaze.LINES.items():
        test_datasets_mpiifacegaze._write_person(root, person, lines)
    config = load_config(f"{CONFIGS / 'livegaze.py'}:eth_xgaze,eval_on=mpiifacegaze", [
        f"data.dir={tmp_path / 'out'}", "data.eval_split=p00", "data.num_threads=0"])
    assert config.data.builder == "tfds:mpiifacegaze/norm512_focal1600_dist680"  # :eth_xgaze's framing
    converter = mpiifacegaze.converter(root, size=512, focal=1600.0, distance=680.0, persons=range(2))
    conversion.convert(converter, tmp_path / "out", workers=0, progress=False)

    pipe = pipeline.make_pipeline(config.data, config.data.eval_split, global_batch_size=2, seed=0,
                                  process_index=0, process_count=1)
    batch = livegaze_evaluation._pair_batch(pipe.local_batch(0))
    assert batch.mask is None  # no face mask: PSNR/SSIM/LPIPS over the whole image
    assert batch.source.shape == (2, 512, 512, 3)
    source, target = batch.inputs["source"], batch.inputs["target"]
    np.testing.assert_array_equal(source["identity"], target["identity"])
    assert np.all(source["frame"] != target["frame"])
    assert target["camera"].shape == (2, 25)


@pytest.mark.parametrize("method", ["mggr", "gazenerf", "livegaze"])
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

    # GazeNeRF's published pairs for this dataset: line k = the target row of input k in its subject
    listed = tmp_path / f"{dataset}_evaluation_target_single_subject.txt"
    listed.write_text("".join(f"{(k * 7 + 1) % test_gazenerf_h5.N}\n" for k in range(inputs)))
    config.eval.target_list = str(listed)
    _, listed_pairs = gazenerf_evaluation._protocol_source(config, config.data.eval_split)
    first = np.flatnonzero(index.identity == index.identity[test_gazenerf_h5.N])[0]  # subject 1's row 0
    assert listed_pairs[:2] == [(0, 1), (1, 8 % test_gazenerf_h5.N)]
    assert listed_pairs[test_gazenerf_h5.N] == (first, first + 1)
