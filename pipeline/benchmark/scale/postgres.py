"""PostgreSQL's side of the load: ids reserved from the tables' own sequences, COPY streamed
from a second thread while the rows are generated, and the secondary indexes and foreign
keys dropped for the load and built back after it."""

from __future__ import annotations

import io
import queue
import threading
import time
from dataclasses import dataclass

from django.db import connection

from pipeline.benchmark.scale.tables import COPY_TABLES


def reserve_ids(table: str, count: int) -> int:
    """The first of `count` consecutive ids taken from the table's own sequence in one
    statement: later inserts by anyone continue after the block."""
    if count == 0:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
            "nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1)",
            [table, table, count],
        )
        last = cursor.fetchone()[0]
    return last - count + 1


class Copier:
    """Streams COPY statements from a worker thread, on the load's own connection, while the
    main thread generates the next chunk: the two cores then work at once (psycopg2 lets go
    of the GIL while it waits on the server)."""

    def __init__(self) -> None:
        self.raw = connection.connection  # the psycopg2 connection inside the transaction
        self.jobs: queue.Queue[tuple[str, str] | None] = queue.Queue(maxsize=3)
        self.seconds: dict[str, float] = dict.fromkeys(COPY_TABLES, 0.0)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="seed-scale-copy", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            with self.raw.cursor() as cursor:
                while (job := self.jobs.get()) is not None:
                    table, text = job
                    _, columns, _ = COPY_TABLES[table]
                    started = time.perf_counter()
                    cursor.copy_expert(
                        f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)",
                        io.StringIO(text),
                        size=1 << 20,
                    )
                    self.seconds[table] += time.perf_counter() - started
        except BaseException as error:  # noqa: BLE001 - handed to the main thread, raised there
            self.error = error
            while self.jobs.get() is not None:  # let the producer finish; nothing more is run
                pass

    def put(self, table: str, lines: list[str]) -> None:
        if lines:
            self.jobs.put((table, "\n".join(lines) + "\n"))
        if self.error is not None:
            self.finish()

    def finish(self) -> None:
        if self.thread.is_alive():
            self.jobs.put(None)
            self.thread.join()
        if self.error is not None:
            error, self.error = self.error, None
            raise error


@dataclass
class Dropped:
    """Secondary indexes and foreign keys of the loaded tables, as PostgreSQL printed them,
    dropped for the load and put back exactly as they were."""

    indexes: list[tuple[str, str, str]]  # (table, name, CREATE INDEX …)
    foreign_keys: list[tuple[str, str, str]]  # (table, name, FOREIGN KEY …)


def schema_of(tables: list[str]) -> tuple[set[tuple[str, str, str]], set[tuple[str, str, str]]]:
    """(table, name, definition) of every index and constraint on the tables."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = current_schema() AND tablename = ANY(%s)",
            [tables],
        )
        indexes = set(cursor.fetchall())
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE conrelid = ANY(%s::regclass[])",
            [tables],
        )
        constraints = set(cursor.fetchall())
    return indexes, constraints


def drop_secondary(tables: list[str]) -> Dropped:
    """Drop the non-unique indexes and the foreign keys of the tables. Primary keys, unique
    and check constraints stay: they keep the rows honest while they arrive."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.relname, i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
            "WHERE t.oid = ANY(%s::regclass[]) AND NOT x.indisunique AND NOT x.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) "
            "ORDER BY 1, 2",
            [tables],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) "
            "ORDER BY 1, 2",
            [tables],
        )
        foreign_keys = cursor.fetchall()
        # The people and teams just written have deferred foreign-key checks pending, and
        # PostgreSQL alters no table with pending checks: run them now, then defer again.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for table, name, _ in foreign_keys:
            cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        for _, name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    return Dropped(indexes=indexes, foreign_keys=foreign_keys)


def restore_secondary(dropped: Dropped, seconds: dict[str, dict[str, float]]) -> None:
    """Build the indexes back (with the memory a sort of this size wants) and add the
    foreign keys back, which checks every row against its parent in one pass per key."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for table, _, definition in dropped.indexes:
            started = time.perf_counter()
            cursor.execute(definition)
            spent = seconds[table].get("indexes", 0.0) + time.perf_counter() - started
            seconds[table]["indexes"] = spent
        for table, name, definition in dropped.foreign_keys:
            started = time.perf_counter()
            cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
            spent = seconds[table].get("indexes", 0.0) + time.perf_counter() - started
            seconds[table]["indexes"] = spent
