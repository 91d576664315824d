"""The embedded broker: kombu's file-system transport, with every file written whole.

kombu creates a message file, then locks it and writes; a worker listing the folder in
between moves the still-empty file away, fails to read it ("Expecting value: line 1 column
1 (char 0)", kombu issue #1551) and the message is lost. The same happens to a queue's
exchange table while it is being created. Here each is written to a name nobody reads,
then renamed into place (a rename within a folder is atomic): a reader finds it whole or
not at all.

Used when REDIS_URL is unset (``CELERY_BROKER_TRANSPORT`` in settings).
"""

from __future__ import annotations

import os
import tempfile
import uuid
from contextlib import suppress
from pathlib import Path
from time import monotonic
from typing import Any

from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


def _write_whole(folder: str | Path, data: bytes) -> str:
    """Write `data` to a new file in `folder` that no reader looks at; return its path."""
    # The consumer takes a file only when the part of its name after the first dot is
    # "<queue>.msg"; this name has no dot before ".partial".
    handle, path = tempfile.mkstemp(dir=folder, prefix="writing-", suffix=".partial")
    with os.fdopen(handle, "wb") as file:
        file.write(data)
    return path


class Channel(filesystem.Channel):
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:
        # The same name as kombu's: the folder's sorted order stays the order of arrival.
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        partial = _write_whole(self.data_folder_out, str_to_bytes(dumps(payload)))
        try:
            os.replace(partial, os.path.join(self.data_folder_out, name))
        except OSError as exc:
            with suppress(OSError):
                os.remove(partial)
            raise filesystem.ChannelError(f"Cannot add file {name!r} to directory") from exc

    def _queue_bind(self, exchange: str, routing_key: str, pattern: str, queue: str) -> None:
        table = self._exchange_file(exchange)
        if not table.exists():
            self.control_folder.mkdir(exist_ok=True)
            first = [filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")]
            partial = _write_whole(self.control_folder, str_to_bytes(dumps(first)))
            try:
                # link, unlike rename, refuses to replace a table someone created meanwhile;
                # then kombu's locked read-and-update below adds our queue to theirs.
                os.link(partial, table)
                return
            except FileExistsError:
                pass
            finally:
                os.remove(partial)
        super()._queue_bind(exchange, routing_key, pattern, queue)


class Transport(filesystem.Transport):
    Channel = Channel
