"""Server time of one request, repeated: through Django's test client in this process, so
the time is the server's own (routing, middleware, queries, templates) without a network
or a web server, and every SQL statement is seen with its parameters."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.http import HttpResponse

# Statements that only manage transactions: never "the slowest query" of a page.
_BOOKKEEPING = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


@dataclass(frozen=True)
class Query:
    sql: str
    params: Any
    many: bool
    ms: float


class QueryRecorder:
    """An execute wrapper that keeps each statement, its parameters and its time, so the
    slowest can be run again exactly as the page ran it (DEBUG off keeps no query log)."""

    def __init__(self) -> None:
        self.queries: list[Query] = []

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            self.queries.append(Query(sql=sql, params=params, many=many, ms=elapsed))


@dataclass
class Result:
    label: str
    user: str
    method: str
    url: str
    median_ms: float
    p95_ms: float
    queries: str  # "12", or "12-14" when requests of the same page ran different counts
    sql_ms: float  # median time spent in the database per request, as the page saw it
    slowest_query_ms: float | None  # the slowest statement run alone: median of reruns
    slowest_query_in_page_ms: float  # the same statement's time inside the request
    slowest_query_sql: str
    status: int  # the first status other than the expected one, else the expected one
    expected_status: int
    bytes: int
    samples_ms: list[float]
    # POSTs: what the requests were meant to change and what they did change.
    effect: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == self.expected_status and self.effect.get("ok", True)


def p95(samples: list[float]) -> float:
    """Nearest-rank 95th percentile: a value that was really measured, for any count."""
    ordered = sorted(samples)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


class _Rollback(Exception):
    pass


def rerun_alone(query: Query, *, times: int) -> float | None:
    """Run one captured statement again with its parameters, `times` times, each inside a
    transaction that is rolled back (so an INSERT or UPDATE of a POST changes nothing);
    the median in ms, or None when it cannot run again (say a unique key it inserted)."""
    samples: list[float] = []
    for _ in range(times):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                started = time.perf_counter()
                if query.many:
                    cursor.executemany(query.sql, query.params)
                else:
                    cursor.execute(query.sql, query.params)
                samples.append((time.perf_counter() - started) * 1000)
                raise _Rollback
        except _Rollback:
            pass
        except Exception:  # noqa: BLE001 - any database error: the statement cannot rerun
            return None
    return round(statistics.median(samples), 2) if samples else None


def measure(
    send: Callable[[int], HttpResponse],
    *,
    label: str,
    user: str,
    method: str,
    url: str,
    expected_status: int = 200,
    requests: int,
    warmup: int,
    rerun: int,
    prepare: Callable[[], None] | None = None,
) -> Result:
    """Warm up (caches, connections, compiled templates), then time `requests` calls of
    `send(i)`; `i` counts every call, warm-up included, so a POST can alternate. `prepare`,
    if given, runs before each call, untimed."""
    prepare = prepare or (lambda: None)
    for number in range(warmup):
        prepare()
        send(number)
    times: list[float] = []
    recorded: list[list[Query]] = []
    status, size = expected_status, 0
    for number in range(warmup, warmup + requests):
        prepare()
        recorder = QueryRecorder()
        with connection.execute_wrapper(recorder):
            started = time.perf_counter()
            response = send(number)
            times.append((time.perf_counter() - started) * 1000)
        recorded.append(recorder.queries)
        if response.status_code != expected_status and status == expected_status:
            status = response.status_code
        size = len(response.content)
    counts = [len(queries) for queries in recorded]
    # The slowest statement of the request that took the median time: a typical request,
    # not the one a stray pause on a shared machine made slow.
    typical = recorded[sorted(range(len(times)), key=times.__getitem__)[(len(times) - 1) // 2]]
    candidates = [
        query for query in typical if not query.sql.lstrip().upper().startswith(_BOOKKEEPING)
    ]
    slowest = max(candidates, key=lambda query: query.ms, default=None)
    return Result(
        label=label,
        user=user,
        method=method,
        url=url,
        median_ms=round(statistics.median(times), 1),
        p95_ms=round(p95(times), 1),
        queries=str(min(counts)) if min(counts) == max(counts) else f"{min(counts)}-{max(counts)}",
        sql_ms=round(statistics.median(sum(q.ms for q in queries) for queries in recorded), 1),
        slowest_query_ms=rerun_alone(slowest, times=rerun) if slowest else None,
        slowest_query_in_page_ms=round(slowest.ms, 2) if slowest else 0.0,
        slowest_query_sql=" ".join(slowest.sql.split())[:500] if slowest else "",
        status=status,
        expected_status=expected_status,
        bytes=size,
        samples_ms=[round(sample, 2) for sample in times],
    )
