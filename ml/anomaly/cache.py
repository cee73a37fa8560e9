"""Per-series cache of fitted detector states: an in-memory LRU, optionally backed by JSON files.

Keys are caller-chosen series identities (the service uses the series name and its sampling
step). A state is only handed back when it was fitted by the same detector version with the
same parameters (:meth:`FittedState.is_compatible`); anything else counts as a miss and is
dropped, so a new release or a parameter change refits instead of reusing a stale model.
The disk layer lets a restarted bot reuse yesterday's fits. Safe to use from worker threads.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections import OrderedDict
from pathlib import Path

from ml.anomaly.model import DetectorParams, FittedState

log = logging.getLogger(__name__)


class StateCache:
    """LRU of ``key -> FittedState`` with at most ``capacity`` entries in memory.

    With ``directory`` set, every ``put`` also writes ``<directory>/<hash of key>.json``
    (atomically) and a memory miss falls back to that file.
    """

    def __init__(self, capacity: int = 512, directory: str | Path | None = None) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self.directory = Path(directory) if directory is not None else None
        self._items: OrderedDict[str, FittedState] = OrderedDict()
        self._lock = threading.Lock()
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def get(self, key: str, params: DetectorParams) -> FittedState | None:
        """The cached state for ``key`` if it matches ``params`` and this detector version."""
        with self._lock:
            state = self._items.get(key)
            if state is not None:
                self._items.move_to_end(key)
        if state is None:
            state = self._load(key)
            if state is not None:
                self._remember(key, state)
        if state is not None and not state.is_compatible(params):
            self.discard(key)
            return None
        return state

    def put(self, key: str, state: FittedState) -> None:
        """Remember ``state`` for ``key`` (and write it to disk when a directory is set)."""
        self._remember(key, state)
        self._store(key, state)

    def discard(self, key: str) -> None:
        """Forget ``key`` in memory and on disk."""
        with self._lock:
            self._items.pop(key, None)
        path = self._path(key)
        if path is not None:
            path.unlink(missing_ok=True)

    def _remember(self, key: str, state: FittedState) -> None:
        with self._lock:
            self._items[key] = state
            self._items.move_to_end(key)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)

    def _path(self, key: str) -> Path | None:
        if self.directory is None:
            return None
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        return self.directory / f"{digest}.json"

    def _store(self, key: str, state: FittedState) -> None:
        path = self._path(key)
        if path is None:
            return
        blob = json.dumps({"key": key, "state": json.loads(state.to_json())}, sort_keys=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            tmp.write_text(blob, encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:
            log.warning("could not write detector state cache %s: %s", path, exc)
            tmp.unlink(missing_ok=True)

    def _load(self, key: str) -> FittedState | None:
        path = self._path(key)
        if path is None or not path.exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("key") != key:
                return None
            return FittedState.from_json(json.dumps(data["state"]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("ignoring unreadable detector state %s: %s", path, exc)
            return None
