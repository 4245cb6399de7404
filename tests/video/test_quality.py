"""Detector quality on a labelled set unlike the simulator's default scenes
(the same code as `python -m bench.video_quality`, on a smaller set)."""

from __future__ import annotations

from bench.video_quality import evaluate


def test_detectors_meet_their_targets_on_unseen_scenes() -> None:
    report = evaluate(scenes=10, cases_per_kind=4, seed=31)
    for kind, score in report.scores.items():
        figures = score.to_dict()
        assert figures["positives"] >= 8 and figures["negatives"] >= 8, (kind, figures)
        assert score.precision >= 0.95 and score.recall >= 0.95, (kind, score.mistakes)
    assert report.obstruction_mae < 0.1
