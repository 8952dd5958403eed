"""The three scenarios of issue 5. Each takes a started app and returns its rows of figures.

1. A burst of concurrent `/har` commands for distinct registries, Harness at 500 ms.
2. The same burst for ONE registry (everybody pastes the same link): slash commands and `link_shared`
   events alternate. Wave 2a is cold; wave 2b repeats it right after, inside the bot's 60 s cache lifetime.
3. A steady stream of `/har` commands for distinct registries, Harness at 50 ms: a short doubling ramp
   (1 s steps, then two geometric midpoints) finds the highest rate the app sustains; 85% of it is held
   for 20 s.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable

from bench.load import SHARED_LINK, Figures, Request, Stage, figures, measured_burst, stream

SLOW_HARNESS = 0.5
FAST_HARNESS = 0.05
BURST = 300
QUICK_BURST = 100
WAVE_WAIT = 10.0
"""Seconds a burst may take, from the first send to the last answer; what is later counts as lost."""
RAMP_START = 50.0
RAMP_MAX = 3200.0
RAMP_STEP = 1.0
REFINE_STEPS = 2
"""Geometric midpoints tried between the last rate sustained and the first one not: the rate found is
within 19% of the true one."""
HOLD = 20.0
QUICK_HOLD = 4.0
SUSTAINED_P99 = 0.1
"""A rate is sustained when ack p99 and answer-overhead p99 stay under this (no queue builds up)..."""
MAX_BUSY = 0.85
"""...and the app used at most this share of one core (an asyncio app cannot use more than one); a
generator busier than this measures itself, not the app."""
MAX_SEND_LAG = 0.1
"""If the generator itself falls this far behind schedule, the step measured the generator."""
HOLD_MARGIN = 0.85
"""The hold runs at this share of the highest rate that passed a ramp step: a queue that builds too slowly
for a 1-second step to show must not decide the result."""
CLEARLY_IDLE = 0.5
"""A step that fails while the app used at most this share of a core is tried once more."""
MAX_MACHINE = 1.6
"""App and generator together may use at most this many of the machine's cores (2 here): past that the
step measures the machine, not the app."""
DRAIN = 1.0
SETTLE = 5.0

Scenario = Callable[[Stage, str], Awaitable[list[Figures]]]


def _wave_wait(stage: Stage) -> float:
    return WAVE_WAIT / 2 if stage.quick else WAVE_WAIT


def _distinct(stage: Stage) -> Request:
    return stage.client.command(lambda key: f"bench/load/r{key}")


async def distinct_burst(stage: Stage, app: str) -> list[Figures]:
    """Scenario 1: N concurrent `/har org/project/registry`, every registry different."""
    stage.harness.latency = SLOW_HARNESS
    count = QUICK_BURST if stage.quick else BURST
    requests = [_distinct(stage) for _ in range(count)]
    return [await measured_burst(stage, "1 distinct", app, requests, wait=_wave_wait(stage))]


async def same_link_burst(stage: Stage, app: str) -> list[Figures]:
    """Scenario 2: N concurrent requests for one registry, half `/har <link>`, half link_shared; twice."""
    stage.harness.latency = SLOW_HARNESS
    count = QUICK_BURST if stage.quick else BURST
    client = stage.client

    def wave() -> list[Request]:
        return [
            client.command(SHARED_LINK) if i % 2 else client.link_shared(SHARED_LINK) for i in range(count)
        ]

    cold = await measured_burst(stage, "2a same, cold", app, wave(), wait=_wave_wait(stage))
    warm = await measured_burst(stage, "2b same, repeat", app, wave(), wait=_wave_wait(stage))
    return [cold, warm]


async def steady_stream(stage: Stage, app: str) -> list[Figures]:
    """Scenario 3: ramp (doubling, then two geometric midpoints) to the highest sustained rate, hold 85%."""
    stage.harness.latency = FAST_HARNESS
    ledger = stage.client.ledger
    step = RAMP_STEP / 2 if stage.quick else RAMP_STEP
    trace: list[str] = []

    async def sustains(rate: float) -> bool:
        ok, app_busy = await step_at(rate)
        if not ok and app_busy <= CLEARLY_IDLE * stage.cores:
            # Failed while the app was far from busy: a hiccup (another process, a GC pause), not a
            # limit. One more try decides.
            ok, app_busy = await step_at(rate)
        return ok

    async def step_at(rate: float) -> tuple[bool, float]:
        calls, cpu, own_cpu = stage.harness.count, stage.app_cpu(), time.process_time()
        sent = await stream(stage, lambda: _distinct(stage), rate=rate, seconds=step)
        app_busy = (stage.app_cpu() - cpu) / sent.seconds
        gen_busy = (time.process_time() - own_cpu) / sent.seconds
        drained = await ledger.wait_answers(DRAIN)
        if not drained:
            await ledger.wait_answers(SETTLE)  # let a backlog clear before the next step
        ledger.give_up()
        row = figures(
            "ramp",
            app,
            ledger,
            sent.keys,
            harness_latency=FAST_HARNESS,
            harness_calls=stage.harness.count - calls,
            cpu_seconds=0,
        )
        generator_bound = sent.lag > MAX_SEND_LAG or gen_busy > MAX_BUSY or app_busy + gen_busy > MAX_MACHINE
        ok = (
            drained
            and row.errors == 0
            and row.ack_p99 <= SUSTAINED_P99
            and row.overhead_p99 <= SUSTAINED_P99
            and app_busy <= MAX_BUSY * stage.cores
            and not generator_bound
        )
        mark = "ok" if ok else ("gen-bound" if generator_bound else "no")
        trace.append(f"{rate:.0f}:{mark}(app {app_busy:.0%}, gen {gen_busy:.0%})")
        return ok, app_busy

    best, failed = 0.0, math.inf
    rate = RAMP_START
    while rate <= RAMP_MAX:
        if not await sustains(rate):
            failed = rate
            break
        best, rate = rate, rate * 2
    while best == 0 and rate > 5:
        rate /= 2
        if await sustains(rate):
            best = rate
    for _ in range(REFINE_STEPS if best and failed < math.inf else 0):
        middle = math.sqrt(best * failed)
        if await sustains(middle):
            best = middle
        else:
            failed = middle
    hold_rate = HOLD_MARGIN * best if best else 5.0

    calls, cpu, own_cpu = stage.harness.count, stage.app_cpu(), time.process_time()
    held = await stream(
        stage, lambda: _distinct(stage), rate=hold_rate, seconds=QUICK_HOLD if stage.quick else HOLD
    )
    gen_busy = (time.process_time() - own_cpu) / held.seconds
    await ledger.wait_answers(SETTLE)
    ledger.give_up()
    row = figures(
        "3 steady",
        app,
        ledger,
        held.keys,
        harness_latency=FAST_HARNESS,
        harness_calls=stage.harness.count - calls,
        cpu_seconds=stage.app_cpu() - cpu,
        duration=held.seconds,
    )
    row.notes.append(
        f"ramp {' '.join(trace)} → held {HOLD_MARGIN:.0%} of {best:.0f}/s = {hold_rate:.0f}/s for "
        f"{held.seconds:.1f} s (load generator {gen_busy:.0%} of a core)"
    )
    if held.lag > MAX_SEND_LAG:
        row.notes.append(f"generator fell {held.lag * 1000:.0f} ms behind: rate is generator-bound")
    return [row]


SCENARIOS: dict[str, Scenario] = {
    "1": distinct_burst,
    "2": same_link_burst,
    "3": steady_stream,
}
