"""The FID Inception vs a plain-torch reference (random weights), and the Frechet distance."""

import jax
import numpy as np
import pytest
import scipy.linalg
import torch
import torch.nn.functional as F
from pretrained_torch_nets import images, randomize, to_nchw

import gazejax.convert
from gazejax.cli import main
from gazejax.metrics import frechet_distance, frechet_inception_distance
from gazejax.models.fid_inception import FIDFeatures
from gazejax.pretrained.fid import load_fid_features
from gazejax.torch_reference.inception import FIDInception


@pytest.fixture(scope="module")
def torch_net():
    return randomize(FIDInception(), seed=11)


def test_pool3_features_match_torch(torch_net, tmp_path):
    # The `module.` prefix of a DataParallel save is stripped; `fc` is ignored.
    path = tmp_path / "pt_inception-2015-12-05.pth"
    torch.save({f"module.{k}": v for k, v in torch_net.state_dict().items()}, path)
    assert main(["convert", "inception-fid", str(path), "--out", str(tmp_path / "fid")]) == 0
    module, variables, info = gazejax.convert.load(tmp_path / "fid")
    assert info == {"network": "inception-fid", "input_size": 299}

    # 83^2 keeps the test fast; every block still runs (8, 3 and 1 pixels at the end).
    x = images(2, 83, seed=11)
    got = jax.jit(FIDFeatures(resize_to=None).apply)(variables, x)
    with torch.no_grad():
        want = torch_net(to_nchw(2.0 * x - 1.0, imagenet=False)).numpy()
    assert got.shape == (2, 2048)
    np.testing.assert_allclose(got, want, atol=1e-4, rtol=0)

    # The loaded extractor resizes to 299^2 as pytorch-fid's F.interpolate does.
    small = images(1, 40, seed=12)
    resized = F.interpolate(to_nchw(small, imagenet=False), size=(299, 299), mode="bilinear", align_corners=False)
    with torch.no_grad():
        want = torch_net(2.0 * resized - 1.0).numpy()
    np.testing.assert_allclose(load_fid_features(tmp_path / "fid")(small), want, atol=1e-4, rtol=0)


def test_wrong_shapes_and_other_networks_are_named(torch_net, tmp_path):
    state = torch_net.state_dict()
    state["Mixed_6b.branch7x7_2.conv.weight"] = torch.zeros(128, 128, 7, 1)  # (1, 7) transposed
    path = tmp_path / "bad.pth"
    torch.save(state, path)
    with pytest.raises(gazejax.convert.ConversionError, match="Mixed_6b.branch7x7_2.conv.weight"):
        gazejax.convert.convert("inception-fid", [path])
    torch.save({"features.0.weight": torch.zeros(64, 3, 3, 3)}, path)
    with pytest.raises(gazejax.convert.ConversionError, match="not an Inception-v3"):
        gazejax.convert.convert("inception-fid", [path])


def test_frechet_distance_analytic_cases():
    rng = np.random.default_rng(0)
    mu1, mu2 = rng.normal(size=5), rng.normal(size=5)
    a = rng.normal(size=(5, 5))
    sigma = a @ a.T + np.eye(5)
    # equal covariances: only the means differ
    np.testing.assert_allclose(frechet_distance(mu1, sigma, mu2, sigma), np.sum((mu1 - mu2) ** 2), rtol=1e-9)
    # diagonal covariances: sum of (sqrt(s1) - sqrt(s2))^2 per dimension
    d1, d2 = rng.uniform(0.5, 2.0, 5), rng.uniform(0.5, 2.0, 5)
    np.testing.assert_allclose(frechet_distance(mu1, np.diag(d1), mu1, np.diag(d2)),
                               np.sum((np.sqrt(d1) - np.sqrt(d2)) ** 2), rtol=1e-9)
    # general covariances: the textbook formula with scipy's matrix square root
    b = rng.normal(size=(5, 5))
    sigma2 = b @ b.T + 0.1 * np.eye(5)
    textbook = np.sum((mu1 - mu2) ** 2) + np.trace(sigma + sigma2 - 2 * scipy.linalg.sqrtm(sigma @ sigma2).real)
    np.testing.assert_allclose(frechet_distance(mu1, sigma, mu2, sigma2), textbook, rtol=1e-8)


def test_fid_of_feature_sets():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(400, 3))
    assert frechet_inception_distance(a, a) == pytest.approx(0.0, abs=1e-8)
    assert frechet_inception_distance(a, a + 2.0) == pytest.approx(12.0, rel=1e-9)  # 3 dims x 2^2
    with pytest.raises(ValueError, match="feature sets"):
        frechet_inception_distance(a, a[:, :2])
