"""kombu's filesystem transport, with messages that appear whole and are taken once.

kombu's own `_put` opens the final `*.msg` file and writes into it: a consumer listing the
folder at that moment moves and reads a half-written file (`JSONDecodeError`), and the
worker dies. Here a message is written to a hidden temporary file in the same folder and
`os.replace`d into place, so a `*.msg` name only ever points to a complete message.

kombu's `_get` moves a message to the system temp directory with `shutil.move`, which
copies when that directory is on another filesystem, so two consumers could both read
it. Here a consumer claims a message with `os.rename` into the processed folder (same
filesystem as the queue folder): exactly one consumer wins; the others skip it.

Used by the embedded default only (`CELERY_BROKER_TRANSPORT`, docs/decisions/0001).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from queue import Empty
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

TEMP_PREFIX = "."
TEMP_SUFFIX = ".tmp"


def message_name(queue: str) -> str:
    # kombu's own naming: sorted by time first, the queue after the first dot.
    return f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"


class Channel(filesystem.Channel):
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:  # type: ignore[override]
        folder = self.data_folder_out
        name = message_name(queue)
        temporary = os.path.join(folder, f"{TEMP_PREFIX}{name}{TEMP_SUFFIX}")
        try:
            with open(temporary, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(temporary, os.path.join(folder, name))
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise ChannelError(f"Cannot add file {name!r} to directory") from exc

    def _get(self, queue: str, timeout: float | None = None) -> Any:
        wanted = f"{queue}.msg"
        claimed_folder = self.processed_folder
        for filename in sorted(os.listdir(self.data_folder_in)):
            if filename.startswith(TEMP_PREFIX) or filename.partition(".")[2] != wanted:
                continue
            claimed = os.path.join(claimed_folder, filename)
            try:
                os.rename(os.path.join(self.data_folder_in, filename), claimed)
            except FileNotFoundError:
                continue  # another consumer took it first
            try:
                with open(claimed, "rb") as f:
                    payload = f.read()
                if not self.store_processed:
                    os.remove(claimed)
            except OSError as exc:
                raise ChannelError(f"Cannot read file {filename!r} from queue.") from exc
            return loads(bytes_to_str(payload))
        raise Empty()


class Transport(filesystem.Transport):
    Channel = Channel
