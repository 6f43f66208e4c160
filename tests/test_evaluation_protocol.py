"""The shared evaluation protocol against analytic truths: perfect and do-nothing redirections,
masks, per-pair means over uneven batches, same-view pairs, redirection-angle buckets."""

import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from gazejax import metrics
from gazejax.evaluation.buckets import bucket_widths, redirection_buckets
from gazejax.evaluation.judges import Judges, record_labels
from gazejax.evaluation.protocol import REPORT_KEYS, PairBatch, evaluate_redirection
from gazejax.evaluation.scores import ScoreTable
from gazejax.evaluation.table import format_report
from gazejax.geometry import angular_error

MAX_PSNR = 100.0  # psnr() caps the mean squared error at 1e-10
SIZE = 16


def _judge(images):
    """A deterministic stand-in for a gaze estimator: angles from the channel means."""
    means = jnp.mean(images, axis=(1, 2))
    return {"gaze": means[:, :2] - 0.5, "head": means[:, 1:] - 0.5}


def _judges():
    return Judges(estimate=_judge, lpips=lambda a, b: jnp.mean(jnp.abs(a - b), axis=(1, 2, 3)),
                  fid_features=lambda images: images[:, ::4, ::4, :].reshape(len(images), -1))


def _batches(sizes=(3, 2), mask=False, seed=0):
    rng = np.random.default_rng(seed)
    batches = []
    for n in sizes:
        target = rng.uniform(0, 1, (n, SIZE, SIZE, 3)).astype(np.float32)
        gaze = rng.uniform(-0.3, 0.3, (n, 2)).astype(np.float32)
        batches.append(PairBatch(
            source=rng.uniform(0, 1, (n, SIZE, SIZE, 3)).astype(np.float32), target=target,
            source_gaze=rng.uniform(-0.3, 0.3, (n, 2)).astype(np.float32), target_gaze=gaze,
            labels={"gaze": gaze}, same_view=rng.uniform(size=n) < 0.5,
            mask=(rng.uniform(size=(n, SIZE, SIZE)) < 0.6).astype(np.float32) if mask else None,
        ))
    return batches


def test_score_table_means_over_uneven_batches_equal_numpys():
    rng = np.random.default_rng(0)
    parts = [rng.normal(size=n).astype(np.float32) for n in (3, 1, 5)]
    table = ScoreTable()
    for part in parts:
        table.add("output", {"psnr": part, "twice": 2 * part})
    everything = np.concatenate(parts)
    rows = table.rows()
    assert rows["output"]["psnr"] == float(np.mean(everything))
    np.testing.assert_allclose(rows["output"]["twice"], 2 * np.mean(everything), rtol=1e-6)
    assert table.rows(reduce=np.median)["output"]["psnr"] == float(np.median(everything))
    where = np.arange(9) % 3 == 0
    assert table.rows(where)["output"]["psnr"] == float(np.mean(everything[where]))
    assert table.rows(np.zeros(9, bool)) == {}  # no pairs selected, nothing to report
    with pytest.raises(ValueError, match="selection of 4 pairs"):
        table.rows(np.ones(4, bool))


def test_buckets_group_by_the_sum_of_absolute_angle_changes():
    source = np.zeros((6, 2))
    target = np.radians([[3.0, 4.0], [1.0, -1.4], [-10.0, 12.0], [-30.0, 35.0], [7.0, 10.0], [0.0, 0.0]])
    got = redirection_buckets(source, target, 5.0, 50.0)
    np.testing.assert_allclose(got, [5.0, 0.0, 20.0, 50.0, 15.0, 0.0])
    np.testing.assert_allclose(redirection_buckets(source + 1.0, target + 1.0, 5.0, 50.0), got)
    assert bucket_widths(ml_collections.ConfigDict({})) == {"bucket_deg": 5.0, "max_bucket_deg": 50.0}
    assert bucket_widths(ml_collections.ConfigDict({"bucket_deg": 10.0, "max_bucket_deg": 30.0})) == {
        "bucket_deg": 10.0, "max_bucket_deg": 30.0}


def test_returning_the_target_scores_perfectly_and_reaches_the_judges_floor():
    report = evaluate_redirection(_batches(), lambda b: {"output": b.target}, _judges()).report
    output, target = report["rows"]["output"], report["rows"]["target"]
    assert output["psnr"] == pytest.approx(MAX_PSNR) and output["ssim"] == pytest.approx(1.0, abs=1e-6)
    assert output["lpips"] == 0.0 and output["fid"] == pytest.approx(0.0, abs=1e-6)
    assert output["gaze_error_vs_judge_deg"] == pytest.approx(0.0, abs=1e-2)
    assert output["gaze_error_deg"] == target["gaze_error_deg"] > 0  # the judge's own floor
    assert output == target
    # The floor is the judge's error on the true targets.
    batches = _batches()
    floor = np.concatenate([np.asarray(angular_error(_judge(b.target)["gaze"], b.labels["gaze"]))
                            for b in batches])
    assert target["gaze_error_deg"] == pytest.approx(float(np.mean(floor)), rel=1e-6)


def test_returning_the_source_gives_the_do_nothing_row():
    batches = _batches()
    report = evaluate_redirection(batches, lambda b: {"output": b.source}, _judges()).report
    assert report["rows"]["output"] == report["rows"]["do_nothing"]
    # ... whose numbers are per-pair means over both (uneven) batches
    per_pair = np.concatenate([np.asarray(metrics.psnr(b.source, b.target)) for b in batches])
    assert report["rows"]["do_nothing"]["psnr"] == pytest.approx(float(np.mean(per_pair)), rel=1e-6)
    assert report["rows"]["do_nothing"]["psnr"] < 20


def test_the_mask_limits_every_image_metric_and_not_the_judge():
    batches = _batches(mask=True)

    def inside_only(batch):  # the target inside the mask, noise outside
        m = batch.mask[..., None]
        return {"output": batch.target * m + (1 - m) * batch.source}

    report = evaluate_redirection(batches, inside_only, _judges()).report
    output = report["rows"]["output"]
    assert output["psnr"] == pytest.approx(MAX_PSNR) and output["lpips"] == 0.0
    assert output["gaze_error_vs_judge_deg"] > 0.1  # the judge sees the whole image


def test_same_view_rows_buckets_and_kept_images():
    batches = _batches(sizes=(3, 1, 4))
    result = evaluate_redirection(batches, lambda b: {"output": 0.5 * (b.source + b.target),
                                                      "extra": b.source}, _judges(), keep_images=5)
    report = result.report
    assert tuple(report) == REPORT_KEYS and report["pairs"] == 8
    assert list(report["rows"]) == ["do_nothing", "output", "extra", "target"]
    assert len({tuple(scores) for scores in report["rows"].values()}) == 1  # one set of metrics
    same = np.concatenate([b.same_view for b in batches])
    assert report["same_view"]["pairs"] == same.sum() > 0
    per_pair = np.concatenate([np.asarray(metrics.ssim(b.source, b.target)) for b in batches])
    assert report["same_view"]["rows"]["do_nothing"]["ssim"] == pytest.approx(float(per_pair[same].mean()),
                                                                               abs=1e-6)
    assert "fid" not in report["same_view"]["rows"]["output"]  # one number per whole set only
    buckets = np.concatenate([redirection_buckets(b.source_gaze, b.target_gaze, 5.0, 50.0) for b in batches])
    assert [b["redirection_deg"] for b in report["buckets"]] == sorted(set(buckets))
    assert sum(b["pairs"] for b in report["buckets"]) == 8
    for bucket in report["buckets"]:
        chosen = buckets == bucket["redirection_deg"]
        assert bucket["pairs"] == chosen.sum()
        assert bucket["rows"]["do_nothing"]["ssim"] == pytest.approx(float(per_pair[chosen].mean()), abs=1e-6)
    assert set(result.images) == {"do_nothing", "output", "extra", "target"}
    np.testing.assert_array_equal(result.images["target"],
                                  np.concatenate([b.target for b in batches])[:5])


def test_no_judges_no_judge_metrics_and_labels_only_where_given():
    report = evaluate_redirection(_batches(), lambda b: {"output": b.source}, Judges()).report
    assert set(report["rows"]["output"]) == {"psnr", "ssim"}
    report = evaluate_redirection(_batches(), lambda b: {"output": b.source}, Judges(estimate=_judge)).report
    # the judge reads head pose but the targets carry no head label: only the vs-judge error
    assert set(report["rows"]["output"]) == {"psnr", "ssim", "gaze_error_deg", "gaze_error_vs_judge_deg",
                                             "head_error_vs_judge_deg"}
    assert set(record_labels({"gaze": 1, "head_pose": 2, "image": 3})) == {"gaze", "head"}


def test_the_printed_table_shows_rows_and_buckets():
    report = evaluate_redirection(_batches(), lambda b: {"output": b.target}, _judges()).report
    lines = format_report({"method": "toy", "step": 3, **report})
    assert lines[0] == "method toy, step 3, pairs 5"
    assert lines[1].split()[:3] == ["row", "psnr", "ssim"]
    assert [line.split()[0] for line in lines[2:5]] == ["do_nothing", "output", "target"]
    assert any(line.startswith("gaze_error_deg by redirection") for line in lines)
    assert format_report({"step": 3, "mse": 0.5}) == ["step  3", "mse   0.5"]
