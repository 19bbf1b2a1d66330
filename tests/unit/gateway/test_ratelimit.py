"""S1: a token bucket per client; over the limit, 429 with Retry-After."""

from __future__ import annotations

from allwan_gateway.domain.ratelimit import TokenBuckets

from tests.unit.gateway.fakes import SECRETS, harness
from tests.unit.gateway.test_problems import assert_problem


def test_a_burst_is_allowed_then_the_rate_refills() -> None:
    buckets = TokenBuckets(rate=2.0, burst=3)

    assert [buckets.take("c", 0.0) for _ in range(3)] == [None, None, None]
    assert buckets.take("c", 0.0) == 0.5
    assert buckets.take("c", 0.5) is None
    assert buckets.take("other", 0.5) is None


def test_forgotten_callers_start_afresh_and_memory_is_bounded() -> None:
    buckets = TokenBuckets(rate=1.0, burst=1, max_callers=2)
    for caller in ("a", "b", "c"):
        buckets.take(caller, 0.0)

    assert buckets.take("a", 0.0) is None
    assert len(buckets._buckets) == 2


async def test_s1_a_client_over_its_limit_gets_429_and_others_do_not() -> None:
    gw = harness(rate_limit_per_s=0.01, rate_limit_burst=2)
    mine = {"X-API-Key": SECRETS["gateway_storefront_api_key"]}
    async with gw.client() as http:
        allowed = [await http.get("/v1/policy/versions", headers=mine) for _ in range(2)]
        refused = await http.get("/v1/policy/versions", headers=mine)
        someone_else = await http.get("/v1/policy/versions", headers=gw.customer("c-9"))
        health = await http.get("/health/live", headers=mine)

    assert [a.status_code for a in allowed] == [200, 200]
    assert_problem(refused, 429, "rate-limited")
    assert int(refused.headers["retry-after"]) >= 1
    assert someone_else.status_code == 200
    assert health.status_code == 200
