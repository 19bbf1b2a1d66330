"""The benchmarks' own machinery, without servers: what they report must mean what it says."""

from __future__ import annotations

import asyncio
import json

from allwan_runtime.eventstore import OUTBOX

from bench.gateway import Answers, at_rate
from bench.pipeline import Arrivals, against_limit, envelopes, published_documents, summary


async def test_a_fixed_load_sends_on_schedule_without_waiting_for_answers() -> None:
    # No request is answered before the last one is sent: a sender that waited for answers
    # (a closed loop, which hides a server falling behind) would never get there.
    all_sent = asyncio.Event()
    sent = 0

    async def send() -> str:
        nonlocal sent
        sent += 1
        if sent == 5:
            all_sent.set()
        await all_sent.wait()
        return "202"

    answers = await asyncio.wait_for(at_rate(send, 5, rate=1000.0), timeout=30)

    assert answers.statuses == {"202": 5}
    assert len(answers.latencies) == 5


def test_percentiles_read_every_answer_and_throughput_only_the_served() -> None:
    answers = Answers(latencies=[n / 1000 for n in range(1, 101)], elapsed_s=2.0)
    answers.statuses.update({"201": 60, "202": 20, "503": 19, "ReadTimeout": 1})

    shown = answers.as_dict()

    assert shown["requests"] == 100
    assert shown["p50_ms"] == 50.5
    assert shown["p99_ms"] == 100.0
    assert shown["served_per_s"] == 40.0


def test_each_event_arrives_once_and_strangers_are_counted() -> None:
    arrivals = Arrivals()
    warm, measured = envelopes(3, "warm"), envelopes(4, "run")
    arrivals.expect(warm)
    for envelope in warm:
        arrivals.note(str(envelope.event_id))
    arrivals.expect(measured)

    for envelope in [*measured[:3], measured[0], warm[0]]:  # a redelivery, a late warm-up
        arrivals.note(str(envelope.event_id))
    assert not arrivals.all_in.is_set()
    arrivals.note(str(measured[3].event_id))
    arrivals.note(str(envelopes(1, "prefilled")[0].event_id))

    assert arrivals.all_in.is_set()
    assert arrivals.arrived == 4
    assert arrivals.unexpected == 1


async def test_the_prefill_holds_every_event_as_the_store_writes_it_but_no_outbox() -> None:
    events = envelopes(60, "fill")

    written = await published_documents(events)

    assert written
    assert OUTBOX not in written
    text = json.dumps(written, default=str)
    assert all(str(event.event_id) in text for event in events)


def test_the_pipeline_result_carries_the_figures_scripts_read() -> None:
    limit = {"kafka_events_per_s": 2000.0, "store_events_per_s": 6000.0, "events_per_s": 2000.0}
    top = against_limit(500.0, limit)
    result = {"benchmark": "pipeline", **top, "events": 1000, "writers": 32, "limit": limit}

    assert top == {
        "allwan_events_per_s": 500.0,
        "limit_events_per_s": 2000.0,
        "ratio_to_limit": 0.25,
    }
    assert summary(result) == (
        "pipeline: allwan 500 events/s, limit 2,000/s (kafka 2,000/s, store 6,000/s): "
        "ratio to limit 0.25 (1,000 events, 32 writers)"
    )
    with_cpu = result | {"cpu_ms_per_event": {"allwan": 0.5, "mongodb": 0.45, "total": 1.25}}
    assert summary(with_cpu).endswith(
        "(1,000 events, 32 writers, CPU 1.25 ms/event, MongoDB server 0.45)"
    )
