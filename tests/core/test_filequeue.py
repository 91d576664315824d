"""The embedded broker writes each message and exchange table whole: a worker reading the
folder at any moment finds a message complete or not at all, so none is lost."""

from __future__ import annotations

from queue import Empty

import pytest
from kombu import Connection
from kombu.transport import filesystem
from kombu.utils.json import dumps as kombu_dumps

from salesflow.core import filequeue


def connect(folder) -> Connection:
    queue, control = folder / "queue", folder / "control"
    queue.mkdir(exist_ok=True)
    control.mkdir(exist_ok=True)
    return Connection(
        "filesystem://localhost//",
        transport=filequeue.Transport,
        transport_options={
            "data_folder_in": str(queue),
            "data_folder_out": str(queue),
            "control_folder": str(control),
            "store_processed": False,
        },
    )


def test_a_message_being_written_is_not_taken_half_written(tmp_path, monkeypatch):
    """kombu's own transport creates the file first and writes it after: a worker polling
    in between took the empty file, failed on it and lost the message."""
    producer, consumer = connect(tmp_path), connect(tmp_path)
    outgoing = producer.default_channel
    incoming = consumer.default_channel
    seen_while_writing: list[object] = []

    def dumps_while_a_worker_polls(payload: object) -> str:
        try:
            seen_while_writing.append(incoming._get("jobs"))
        except Empty:
            seen_while_writing.append(None)
        return kombu_dumps(payload)

    monkeypatch.setattr(filequeue, "dumps", dumps_while_a_worker_polls)
    monkeypatch.setattr(filesystem, "dumps", dumps_while_a_worker_polls)
    outgoing._put("jobs", {"body": "heartbeat"})

    assert seen_while_writing == [None]
    assert incoming._get("jobs") == {"body": "heartbeat"}
    assert list((tmp_path / "queue").iterdir()) == []  # taken, and nothing left behind


def test_an_exchange_table_being_created_is_whole_or_absent(tmp_path, monkeypatch):
    channel = connect(tmp_path).default_channel
    tables: list[list] = []

    def dumps_while_a_publisher_looks(payload: object) -> str:
        tables.append(channel.get_table("celery"))
        return kombu_dumps(payload)

    monkeypatch.setattr(filequeue, "dumps", dumps_while_a_publisher_looks)
    monkeypatch.setattr(filesystem, "dumps", dumps_while_a_publisher_looks)
    channel._queue_bind("celery", "celery", "", "celery")
    # An existing table grows under kombu's lock (a reader waits for it: no hook now).
    monkeypatch.setattr(filequeue, "dumps", kombu_dumps)
    monkeypatch.setattr(filesystem, "dumps", kombu_dumps)
    channel._queue_bind("celery", "other", "", "other")
    assert tables[0] == []
    assert [entry.queue for entry in channel.get_table("celery")] == ["other", "celery"]
    assert [path.name for path in (tmp_path / "control").iterdir()] == ["celery.exchange"]


@pytest.mark.parametrize("name", ["1234_x.jobs.msg.partial", "writing-abc.partial"])
def test_a_file_still_being_written_is_not_a_message(tmp_path, name):
    channel = connect(tmp_path).default_channel
    (tmp_path / "queue" / name).write_text("")
    with pytest.raises(Empty):
        channel._get("jobs")
