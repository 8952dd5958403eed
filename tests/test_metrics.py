"""GET /metrics: after a known set of lookups, each counter moved by exactly what happened.

The counters are process-wide (prometheus_client's default registry), so each test reads /metrics
before and after, and compares the differences.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import record_slack_post, render
from devtools.harness import Canned, HarnessStandIn
from tests.conftest import Bot
from tests.support import REF, harness_fixture, settle
from tests.test_main import clean_env

pytestmark = pytest.mark.slow  # end to end: real servers, subprocesses or long waits

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]
SLOW = "acc_test/payments/checkout/slow/+"
HELD = "acc_test/payments/checkout/held/+"


def parse(text: str) -> Samples:
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[sample.name, tuple(sorted(sample.labels.items()))] = sample.value
    return samples


async def scrape(bot: Bot) -> Samples:
    async with bot.session.get(f"{bot.url}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        return parse(await response.text())


def moved(before: Samples, after: Samples, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """The samples of `name` that changed, by labels, with how much."""
    return {
        labels: value - before.get((sample, labels), 0.0)
        for (sample, labels), value in after.items()
        if sample == name and value != before.get((sample, labels), 0.0)
    }


async def test_counters_hold_exactly_the_lookups_made(make_bot: Any, harness: HarnessStandIn) -> None:
    bot: Bot = await make_bot(harness_backoff=0.01, harness_timeout=0.2)
    harness.program(REF, Canned(body=harness_fixture("virtual.json")))
    harness.program(SLOW, Canned(body=harness_fixture("virtual.json"), delay=1.0))
    before = await scrape(bot)

    await bot.command("payments/checkout/docker-prod", name="miss")  # miss, Harness 200
    await settle(bot.services.background)
    await bot.command("payments/checkout/docker-prod", name="hit")  # hit, no Harness call
    await bot.command("payments/checkout/nowhere", name="404")  # miss, Harness 404
    await bot.command("payments/checkout/slow", name="timeout")  # miss, 3 attempts time out
    await settle(bot.services.background)

    after = await scrape(bot)
    assert moved(before, after, "harbot_lookups_total") == {
        (("outcome", "ok"), ("surface", "command")): 2,
        (("outcome", "not_found"), ("surface", "command")): 1,
        (("outcome", "harness_timeout"), ("surface", "command")): 1,
    }
    assert moved(before, after, "harbot_lookup_duration_seconds_count") == {(("surface", "command"),): 4}
    assert moved(before, after, "harbot_harness_requests_total") == {
        (("status", "200"),): 1,
        (("status", "404"),): 1,
        (("status", "timeout"),): 3,
    }
    assert moved(before, after, "harbot_cache_total") == {(("result", "hit"),): 1, (("result", "miss"),): 3}


async def test_a_lookup_joining_one_in_flight_counts_as_coalesced(
    make_bot: Any, harness: HarnessStandIn
) -> None:
    bot: Bot = await make_bot()
    release = asyncio.Event()
    harness.program(HELD, Canned(body=harness_fixture("virtual.json"), hold=release))
    before = await scrape(bot)
    await bot.command("payments/checkout/held", name="first")
    await harness.wait_for(lambda r: r.path.endswith("/held/+"))
    await bot.command("payments/checkout/held", name="second")
    release.set()
    await settle(bot.services.background)
    after = await scrape(bot)
    assert moved(before, after, "harbot_cache_total") == {
        (("result", "miss"),): 1,
        (("result", "coalesced"),): 1,
    }
    assert moved(before, after, "harbot_harness_requests_total") == {(("status", "200"),): 1}


async def test_no_label_names_a_registry_user_or_channel(make_bot: Any, harness: HarnessStandIn) -> None:
    bot: Bot = await make_bot()
    harness.program(REF, Canned(body=harness_fixture("virtual.json")))
    await bot.command("payments/checkout/docker-prod", user_id="U99SECRET", channel_id="C99SECRET")
    await settle(bot.services.background)
    async with bot.session.get(f"{bot.url}/metrics") as response:
        text = await response.text()
    assert 'surface="command"' in text
    for private in ("docker-prod", "checkout", "U99SECRET", "C99SECRET"):
        assert private not in text
    assert "process_cpu_seconds_total" in text  # the library's process metrics, beside ours


def test_slack_posts_count_by_outcome() -> None:
    before = parse(render().decode())
    record_slack_post("ok")
    record_slack_post("retried_ok")
    record_slack_post("failed")
    after = parse(render().decode())
    assert moved(before, after, "harbot_slack_posts_total") == {
        (("outcome", "ok"),): 1,
        (("outcome", "retried_ok"),): 1,
        (("outcome", "failed"),): 1,
    }


def test_an_unknown_slack_post_outcome_is_refused() -> None:
    with pytest.raises(KeyError):
        record_slack_post("maybe")


async def test_metrics_off_serves_no_metrics(make_bot: Any) -> None:
    bot: Bot = await make_bot(metrics="off")
    async with bot.session.get(f"{bot.url}/metrics") as response:
        assert response.status == 404


async def test_metrics_port_moves_metrics_off_the_public_server(make_bot: Any) -> None:
    bot: Bot = await make_bot(metrics_port=9)
    async with bot.session.get(f"{bot.url}/metrics") as response:
        assert response.status == 404


def test_several_processes_sum_in_multiprocess_mode(tmp_path: Path) -> None:
    """Two worker processes count into PROMETHEUS_MULTIPROC_DIR; /metrics shows the sum."""
    worker = textwrap.dedent(
        """
        import sys
        from bot.metrics import record_cache, record_lookup
        for _ in range(int(sys.argv[1])):
            record_cache("hit")
        record_lookup("command", "ok", 0.01)
        """
    )
    for hits in (2, 3):
        subprocess.run(  # noqa: S603 (our own interpreter and script)
            [sys.executable, "-c", worker, str(hits)],
            env=clean_env(PROMETHEUS_MULTIPROC_DIR=str(tmp_path)),
            check=True,
            timeout=30,
        )
    samples = parse(render(str(tmp_path)).decode())
    assert samples["harbot_cache_total", (("result", "hit"),)] == 5
    assert samples["harbot_lookups_total", (("outcome", "ok"), ("surface", "command"))] == 2
    assert samples["harbot_lookup_duration_seconds_count", (("surface", "command"),)] == 2
