"""Prometheus metrics: behind a login or token, read from what the gateway counts, with
the histograms of delivery wait, store work and loop lag."""

from __future__ import annotations

from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from gateway.core.accounts import Role
from tests.accounts.support import client, school
from tests.core.test_alerts import press


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


async def test_metrics_need_a_token_and_say_what_the_gateway_counts(tmp_path: Path) -> None:
    async with school(tmp_path) as gateway:
        press(gateway, "pb-2")
        press(gateway, "pb-1")
        await gateway.settle()
        token = await gateway.accounts.issue_token("prometheus", Role.VIEWER, "test")
        async with client(gateway) as anonymous:
            assert (await anonymous.get("/metrics")).status_code == 401
        async with client(gateway, {"Authorization": f"Bearer {token}"}) as scraper:
            answer = await scraper.get("/metrics")
        assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
        found = samples(answer.text)
        assert found[("campusgw_alerts", (("severity", "critical"), ("state", "open")))] == 2
        assert found[("campusgw_alerts", (("severity", "info"), ("state", "closed")))] == 0
        assert found[("campusgw_device_events_total", (("device_type", "panic_button"),))] == 4
        # (each press, and each button's "online" that its first message brought)
        assert found[("campusgw_devices", (("availability", "unknown"),
                                           ("device_type", "gate_sensor")))] == 1
        assert ("campusgw_outbox_backlog", (("channel", "log"),)) in found
        assert found[("campusgw_store_work_seconds_count", ())] > 0
        assert ("campusgw_event_loop_lag_seconds_count", ()) in found
        assert ("campusgw_delivery_wait_seconds_count", (("channel", "log"),)) in found
