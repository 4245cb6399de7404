"""Detector quality on a small labelled set from `bench.video_scenes` (the same code as
`python -m bench.video_quality`, on a seed of its own and far fewer cameras)."""

from __future__ import annotations

from bench.video_quality import evaluate


def test_detectors_hold_on_a_small_generated_set() -> None:
    report = evaluate(cameras=9, instances=4, seed=31)
    figures = report.to_dict()
    blocked = report.blocked
    assert blocked.tp + blocked.fn >= 6 and blocked.tn + blocked.fp >= 6, figures
    assert report.no_verdict == 0
    assert blocked.precision >= 0.75 and blocked.recall >= 0.65, report.mistakes
    assert report.wrong_good <= 1, report.mistakes
    assert sum(report.clear) == 0, report.mistakes
    assert float(str(figures["obstruction_mae"])) < 0.15
    assert len(report.false_tamper) <= 1, report.mistakes
    assert report.tamper and all(all(found) for found in report.tamper.values()), \
        report.mistakes
