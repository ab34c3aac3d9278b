"""The automation-bias monitor's review latencies: median and 90th percentile, hand-computed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from accord.core.gateway.models import Review
from accord.core.gateway.review import percentile
from accord.core.gateway.service import GatewayRequest


@pytest.mark.parametrize(("values", "expected"), [
    ([], None),
    ([42.0], 42.0),                                # n = 1: the one value
    ([19.1, 243.9], 221.42),                       # n = 2: 19.1 + 0.9 × 224.8
    ([1.0, 2.0, 3.0], 2.8),                        # rank 0.9 × 2 = 1.8 → 2 + 0.8 × 1
    ([10.0, 1.0, 4.0, 7.0], 9.1),                  # unsorted input; rank 2.7 → 7 + 0.7 × 3
    ([float(v) for v in range(1, 11)], 9.1),       # rank 8.1 → 9 + 0.1 × 1
])
def test_p90_by_linear_interpolation(values: list[float], expected: float | None) -> None:
    assert percentile(values, 90) == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize("values", [[5.0], [19.1, 243.9], [0.5, 0.5, 900.0],
                                    [3.0, 1.0, 2.0, 100.0, 7.0]])
def test_p90_is_never_below_the_median(values: list[float]) -> None:
    assert percentile(values, 90) >= percentile(values, 50)


def test_monitor_with_two_reviews(gateway, reviews, officer, supervisor, db) -> None:  # type: ignore[no-untyped-def]
    """The reported case: two reviews taking 19.1 s and 243.9 s (median 131.5 s)."""
    for _ in range(2):
        gateway.invoke(officer, GatewayRequest(
            capability_id="test.echo-reviewed", purpose="victim-assistance",
            legal_basis="consent", inputs={"text": "red jacket"}))
        [(review, _)] = reviews.pending(frozenset({"supervisor"}))
        reviews.decide(review.id, supervisor, "confirm", "checked")
    with db.write_session() as session:
        rows = session.scalars(select(Review).order_by(Review.id)).all()
        for row, seconds in zip(rows, (243.9, 19.1), strict=True):
            row.decided_at = row.created_at + timedelta(seconds=seconds)
    [row] = reviews.monitor()
    assert row.median_latency_s == pytest.approx(131.5)
    assert row.p90_latency_s == pytest.approx(221.42)
