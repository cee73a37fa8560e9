"""The demo world: a small fleet whose metrics are a pure function of (seed, time, "now").

Every value is ``base + daily * rhythm(t) + noise(t) + incidents(t - now)``:

* the rhythm peaks at 16:00 UTC and bottoms out at 04:00 UTC;
* the noise is smooth value-noise keyed by the seed, the series and the *absolute* time, so a
  sample reads the same whichever window or step asks for it;
* the incidents are placed relative to "now" (rounded down to the minute), so the story is
  always fresh: checkout-api had a 40-minute latency/error/CPU incident about 3 h ago (with
  db-primary CPU rising alongside), payments' latency has been high for the last 25 minutes,
  db-primary's disk has been filling for 30 hours and web-2 stopped answering 20 minutes ago
  (its ``up`` is 0 and its other metrics have no samples since, as in a real Prometheus).

The same seed and "now" always give the same numbers; another seed perturbs every level.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

HOUR = 3600.0
MINUTE = 60.0

#: catalog metric -> the demo's series name (the demo's catalog is ``<name>{{selector}}``).
SERIES_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "cpu": "cpu_usage_percent",
        "memory": "memory_usage_percent",
        "disk": "disk_usage_percent",
        "network": "network_bytes_per_second",
        "latency": "http_request_latency_p95_seconds",
        "error_rate": "http_errors_percent",
        "request_rate": "http_requests_per_second",
    }
)
UP = "up"


@dataclass(frozen=True, slots=True)
class Profile:
    """A metric's shape on one kind of target: level, daily swing, noise and bounds."""

    base: float
    daily: float
    noise: float
    low: float = 0.0
    high: float = math.inf


_HOST = {
    "cpu": Profile(30, 18, 4, high=100),
    "memory": Profile(58, 6, 1.5, high=100),
    "disk": Profile(45, 0.4, 0.2, high=100),
    "network": Profile(4e6, 3e6, 5e5),
    "latency": Profile(0.09, 0.03, 0.01, low=0.001),
    "error_rate": Profile(0.3, 0.1, 0.1, high=100),
    "request_rate": Profile(120, 90, 10),
}
_SERVICE = {
    "cpu": Profile(35, 20, 4, high=100),
    "memory": Profile(62, 5, 1.5, high=100),
    "disk": Profile(30, 0.3, 0.2, high=100),
    "network": Profile(2.5e6, 2e6, 4e5),
    "latency": Profile(0.14, 0.05, 0.012, low=0.001),
    "error_rate": Profile(0.4, 0.15, 0.12, high=100),
    "request_rate": Profile(180, 140, 15),
}


@dataclass(frozen=True, slots=True)
class DemoTarget:
    """One host or service of the demo fleet and the labels its series carry."""

    name: str
    kind: str
    labels: Mapping[str, str]
    profiles: Mapping[str, Profile] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Incident:
    """A change to one series between ``start`` and ``end`` seconds relative to now.

    ``shift`` is added at full strength with 5-minute ramps at either end; ``slope`` (units
    per hour) grows from ``start`` on, for things that fill up. ``end=None``: still going.
    """

    target: str
    metric: str
    start: float
    end: float | None
    shift: float = 0.0
    slope: float = 0.0


#: (name, kind, port) of the fleet.
_FLEET = (
    ("web-1", "host", 9100),
    ("web-2", "host", 9100),
    ("db-primary", "host", 9100),
    ("cache-1", "host", 9100),
    ("checkout-api", "service", 8080),
    ("payments", "service", 8080),
    ("search", "service", 8080),
)

_CHECKOUT_INCIDENT = (-3 * HOUR - 10 * MINUTE, -2 * HOUR - 30 * MINUTE)
INCIDENTS: tuple[Incident, ...] = (
    Incident("checkout-api", "latency", *_CHECKOUT_INCIDENT, shift=0.75),
    Incident("checkout-api", "error_rate", *_CHECKOUT_INCIDENT, shift=7.5),
    Incident("checkout-api", "cpu", *_CHECKOUT_INCIDENT, shift=45),
    Incident("checkout-api", "request_rate", *_CHECKOUT_INCIDENT, shift=-40),
    Incident("db-primary", "cpu", *_CHECKOUT_INCIDENT, shift=30),
    Incident("payments", "latency", -25 * MINUTE, None, shift=0.3),
    Incident("db-primary", "disk", -30 * HOUR, None, slope=10 / 30),
)
#: Targets that stopped answering: name -> seconds relative to now.
DOWN_SINCE: Mapping[str, float] = MappingProxyType({"web-2": -20 * MINUTE})
#: Levels that are part of the story and must not be perturbed by the seed.
_FIXED = {("db-primary", "disk"): Profile(78, 0.0, 0.15, high=100)}
_RAMP = 5 * MINUTE


def build_fleet(seed: int) -> tuple[DemoTarget, ...]:
    """The fleet with each level perturbed (±20 %) by ``seed``."""
    rng = random.Random(seed)  # noqa: S311 - synthetic demo data, not security
    fleet: list[DemoTarget] = []
    for name, kind, port in _FLEET:
        labels = {"instance": f"{name}:{port}", "job": "node" if kind == "host" else name}
        if kind == "service":
            labels["service"] = name
        shapes = _HOST if kind == "host" else _SERVICE
        profiles = {
            metric: _FIXED.get((name, metric)) or _perturb(shape, rng)
            for metric, shape in shapes.items()
        }
        fleet.append(DemoTarget(name, kind, MappingProxyType(labels), MappingProxyType(profiles)))
    return tuple(fleet)


def anchor(now: float) -> float:
    """The instant incidents are placed against: ``now`` rounded down to the minute."""
    return math.floor(now / MINUTE) * MINUTE


def daily_rhythm(times: FloatArray) -> FloatArray:
    """-1 at 04:00 UTC, +1 at 16:00 UTC."""
    result: FloatArray = -np.cos(2 * np.pi * ((times - 4 * HOUR) % 86400.0) / 86400.0)
    return result


def metric_values(
    seed: int, target: DemoTarget, metric: str, times: FloatArray, now: float
) -> FloatArray:
    """``metric`` of ``target`` at ``times``; NaN where there is no sample (future, down)."""
    profile = target.profiles[metric]
    key = _key(seed, target.name, metric)
    noise = 0.7 * _value_noise(times, 900.0, key) + 0.3 * _value_noise(times, 120.0, key + 1)
    values = profile.base + profile.daily * daily_rhythm(times) + profile.noise * noise
    values = values + _incidents(target.name, metric, times - anchor(now))
    values = np.clip(values, profile.low, profile.high)
    return np.where(_absent(target.name, times, now), np.nan, values)


def up_values(target: DemoTarget, times: FloatArray, now: float) -> FloatArray:
    """1 while ``target`` answers, 0 once it is down; NaN in the future."""
    since = DOWN_SINCE.get(target.name)
    values = np.ones_like(times)
    if since is not None:
        values = np.where(times - anchor(now) >= since, 0.0, 1.0)
    return np.where(times > now, np.nan, values)


def is_up(target: DemoTarget, now: float) -> bool:
    """:func:`up_values` at ``now`` alone, without arrays (``targets()`` asks on every
    "what's down?")."""
    since = DOWN_SINCE.get(target.name)
    return since is None or now - anchor(now) < since


def _absent(name: str, times: FloatArray, now: float) -> npt.NDArray[np.bool_]:
    future: npt.NDArray[np.bool_] = times > now
    since = DOWN_SINCE.get(name)
    if since is None:
        return future
    down: npt.NDArray[np.bool_] = times - anchor(now) >= since
    return future | down


def _incidents(name: str, metric: str, relative: FloatArray) -> FloatArray:
    total = np.zeros_like(relative)
    for incident in INCIDENTS:
        if incident.target != name or incident.metric != metric:
            continue
        if incident.shift:
            total += incident.shift * _trapezoid(relative, incident.start, incident.end)
        if incident.slope:
            total += incident.slope * np.clip(relative - incident.start, 0.0, None) / HOUR
    return total


def _trapezoid(relative: FloatArray, start: float, end: float | None) -> FloatArray:
    rise = np.clip((relative - start) / _RAMP, 0.0, 1.0)
    if end is None:
        return rise
    fall = np.clip((end - relative) / _RAMP, 0.0, 1.0)
    result: FloatArray = np.minimum(rise, fall)
    return result


def _perturb(shape: Profile, rng: random.Random) -> Profile:
    factor = rng.uniform(0.8, 1.2)
    return Profile(shape.base * factor, shape.daily * factor, shape.noise, shape.low, shape.high)


def _key(seed: int, name: str, metric: str) -> int:
    text = f"{seed}/{name}/{metric}"
    value = 1469598103934665603
    for char in text.encode():
        value = ((value ^ char) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return value


def _value_noise(times: FloatArray, period: float, key: int) -> FloatArray:
    """Smooth noise in [-1, 1]: hashed knots every ``period`` seconds, smoothstep between."""
    position = times / period
    knot = np.floor(position)
    frac = position - knot
    left = _uniform(knot.astype(np.int64), key)
    right = _uniform(knot.astype(np.int64) + 1, key)
    weight = frac * frac * (3 - 2 * frac)
    result: FloatArray = (left + (right - left) * weight) * 2 - 1
    return result


def _uniform(knots: npt.NDArray[np.int64], key: int) -> FloatArray:
    """splitmix64 of (knot xor key), as floats in [0, 1)."""
    x = knots.astype(np.uint64) ^ np.uint64(key & 0xFFFFFFFFFFFFFFFF)
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    x = x ^ (x >> np.uint64(31))
    result: FloatArray = (x >> np.uint64(11)).astype(np.float64) * (1.0 / 2**53)
    return result
