"""`python -m bench.costs`: what single steps of an answer cost, in-process, in microseconds.

The bench's CPU ms/req moves by about ±10% from run to run, too much to judge a 5% target (issue 10:
metrics and JSON logs). These steps are timed here directly, many times over, beside the handing of a
slash command's payload to Bolt (as a dict, and as the JSON text it used to be).
"""

from __future__ import annotations

import json
import logging
import os
import timeit
from collections.abc import Callable

from bot import metrics
from bot.answers import LOOKUP_LINE
from bot.inbound.entry import bolt_request
from bot.inbound.payloads import check_payload, read_payload
from bot.logs import formatter

ROUNDS = 20_000
FORM = (
    "token=x&team_id=T0001&team_domain=bench&channel_id=C0001&channel_name=general&user_id=U0001"
    "&user_name=u&command=%2Fhar&text=bench%2Fload%2Fr12345&api_app_id=A1&is_enterprise_install=false"
    "&response_url=http%3A%2F%2F127.0.0.1%3A5000%2Fresponse%2Fk12345&trigger_id=1.2.3"
)
FIELDS = {
    "surface": "command",
    "ref": "acc_bench/bench/load/r12345/+",
    "outcome": "ok",
    "latency_ms": 525,
    "user": "U0001",
    "channel": "C0001",
}


def micros(step: Callable[[], object]) -> float:
    """Microseconds per call of `step`."""
    return timeit.timeit(step, number=ROUNDS) / ROUNDS * 1e6


def answer_metrics() -> None:
    """What one answered lookup records."""
    metrics.record_cache("miss")
    metrics.record_harness_request(200)
    metrics.record_lookup("command", "ok", 0.5)
    metrics.record_slack_post("ok")


def lookup_line(fmt: str) -> Callable[[], None]:
    """The lookup's log line, formatted as LOG_FORMAT=`fmt` and written to /dev/null."""
    log = logging.getLogger(f"bench.costs.{fmt}")
    log.propagate = False
    log.setLevel(logging.INFO)
    handler = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115 (lives as long as the process)
    handler.setFormatter(formatter("json" if fmt == "json" else "text"))
    log.addHandler(handler)
    return lambda: log.info(LOOKUP_LINE, FIELDS, extra=FIELDS)


def main() -> None:
    """Print each step's cost."""
    payload = read_payload(FORM, "application/x-www-form-urlencoded")
    text, json_line = micros(lookup_line("text")), micros(lookup_line("json"))
    steps = {
        "read_payload (slash command form)": micros(
            lambda: read_payload(FORM, "application/x-www-form-urlencoded")
        ),
        "check_payload": micros(lambda: check_payload(payload)),
        "Bolt request from the dict (now)": micros(lambda: bolt_request(payload, {})),
        "Bolt request from JSON text (before)": micros(lambda: bolt_request(json.dumps(payload), {})),
        "metrics of one answer": micros(answer_metrics),
        "lookup log line, plain text": text,
        "lookup log line, JSON": json_line,
    }
    width = max(map(len, steps))
    for name, cost in steps.items():
        print(f"{name.ljust(width)}  {cost:6.1f} µs")
    print(f"{'JSON line over plain text'.ljust(width)}  {json_line - text:6.1f} µs")


if __name__ == "__main__":
    main()
