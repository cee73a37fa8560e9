"""A tiny exporter that keeps the harness's story going after its history ends, so a test that
asks minutes after ``tests/harness/prometheus.py`` started Prometheus sees the same state as
one asking at once (5-minute ``rate()`` windows covered by samples, gauges never stale).

``python -m tests.fakes.live_exporter TAILS_JSON STEP LEAD``

``TAILS_JSON`` is a list of ``[series, value, change, at]``: the series as it is written in
exposition text (``name{labels}``), its last value in the history, the change over the
history's last step and that step's time. The story goes on in straight lines from there
(counters at their final rate, flat gauges flat, a filling disk filling), on the history's own
grid: a sample every ``STEP`` seconds with its time as an explicit timestamp, values exact.
Scrape-time samples would not do: Prometheus extrapolates a ``rate()`` window only as far as
1.1 sample intervals, so a mix of 30 s and 5 s spacing, or a last sample more than 33 s back,
reads as a dip. So each scrape answers the latest grid point no more than ``LEAD`` seconds
ahead: Prometheus has a sample by its time, and at any moment the newest one is at most a
step old (explicit timestamps also mean a missed scrape writes no staleness markers). The
labels are the story's own (``instance``, ``job``): scrape it with ``honor_labels: true``.
It prints its port on the first line once it listens, and serves until it is killed.
"""

from __future__ import annotations

import json
import math
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

Tail = tuple[str, float, float, float]


def exposition(tails: list[Tail], now: float, step: float, lead: float) -> str:
    """The latest grid point of every series no later than ``now + lead``; a series whose
    next point is not due yet is left out (its last one is in the history already)."""
    lines = []
    for series, value, change, last in tails:
        steps = math.floor((now + lead - last) / step)
        if steps >= 1:
            stamp = round((last + steps * step) * 1000)
            lines.append(f"{series} {max(0.0, value + steps * change):.3f} {stamp}")
    return "".join(f"{line}\n" for line in lines)


def serve(tails: list[Tail], step: float, lead: float) -> None:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = exposition(tails, time.time(), step, lead).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    raw = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    tails = [(str(s), float(v), float(d), float(t)) for s, v, d, t in raw]
    serve(tails, float(sys.argv[2]), float(sys.argv[3]))
