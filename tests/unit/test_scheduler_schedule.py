"""Schedules (``every`` and cron, in UTC) and the ``schedules:`` config: firing times every
replica agrees on, and validation errors that name the bad key."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.core.errors import ConfigError
from bot.features.scheduler.config import load_schedules
from bot.features.scheduler.runner import default_lease_ttl
from bot.features.scheduler.schedule import Cron, Every, parse_duration


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("5m", 300), ("1h30m", 5400), ("90s", 90), ("1.5h", 5400), ("250ms", 0.25), ("1d", 86400),
     (" 2 h ", 7200), (300, 300), (0.5, 0.5)],
)  # fmt: skip
def test_durations_read_like_people_write_them(text: str | float, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "5", "5x", "m5", "5m garbage", "-5m", "0s", True])
def test_malformed_durations_are_refused(text: Any) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_every_fires_on_multiples_of_its_interval_since_the_epoch() -> None:
    every = Every(300)
    assert every.next_after(at("2024-03-11T14:03:10")) == at("2024-03-11T14:05:00")
    assert every.next_after(at("2024-03-11T14:05:00")) == at("2024-03-11T14:10:00")
    assert every.latest_until(at("2024-03-11T14:05:00")) == at("2024-03-11T14:05:00")
    assert every.latest_until(at("2024-03-11T14:09:59")) == at("2024-03-11T14:05:00")
    assert every.period == 300
    assert every.describe() == "every 5m"


def test_cron_fires_in_utc_and_finds_the_latest_firing() -> None:
    cron = Cron("0 9 * * 1-5")
    friday_noon = at("2024-03-08T12:00:00")
    assert cron.next_after(friday_noon) == at("2024-03-11T09:00:00"), "skips the weekend"
    assert cron.latest_until(friday_noon) == at("2024-03-08T09:00:00")
    assert cron.latest_until(at("2024-03-08T09:00:00")) == at("2024-03-08T09:00:00")
    assert cron.next_after(at("2024-03-08T09:00:00")) == at("2024-03-11T09:00:00")
    assert cron.period == 86400, "the shortest gap, not the weekend's"


def test_cron_aliases_and_steps_are_understood() -> None:
    assert Cron("@daily").period == 86400
    assert Cron("*/15 * * * *").next_after(at("2024-03-11T14:16:00")) == at("2024-03-11T14:30:00")


@pytest.mark.parametrize("expression", ["61 * * * *", "every day", "* * *", "0 0 9 * * * *"])
def test_bad_cron_expressions_are_refused(expression: str) -> None:
    with pytest.raises(ValueError, match="cron"):
        Cron(expression)


def test_the_default_lease_ttl_lets_a_standby_take_over_within_one_interval() -> None:
    assert default_lease_ttl(Every(1)) == 0.5
    assert default_lease_ttl(Every(3)) == 1.0
    assert default_lease_ttl(Every(60)) == 20.0
    assert default_lease_ttl(Cron("0 9 * * *")) == 30.0


def test_an_absent_or_empty_section_runs_no_job() -> None:
    assert load_schedules(None).enabled() == {}
    assert load_schedules({}).enabled() == {}


def test_jobs_listed_without_settings_run_with_the_defaults() -> None:
    config = load_schedules({"anomaly_scan": None, "daily_digest": {}})
    assert set(config.enabled()) == {"anomaly_scan", "daily_digest"}
    assert config.anomaly_scan is not None
    assert config.daily_digest is not None
    assert config.anomaly_scan.schedule == Every(300)
    assert config.anomaly_scan.lookback == 3600
    assert config.anomaly_scan.severity == "warning"
    assert config.daily_digest.schedule == Cron("0 9 * * *")
    assert config.daily_digest.window == 86400


def test_a_disabled_job_does_not_run() -> None:
    config = load_schedules(
        {"anomaly_scan": {"enabled": False}, "daily_digest": {"cron": "@daily"}}
    )
    assert list(config.enabled()) == ["daily_digest"]


def test_the_scan_forecasts_disk_and_memory_a_day_ahead_unless_told() -> None:
    scan = load_schedules({"anomaly_scan": None}).anomaly_scan
    assert scan is not None
    assert (scan.forecast_metrics, scan.forecast_horizon) == (("disk", "memory"), 86400)
    off = load_schedules({"anomaly_scan": {"forecast_metrics": [], "forecast_horizon": "2d"}})
    assert off.anomaly_scan is not None
    assert (off.anomaly_scan.forecast_metrics, off.anomaly_scan.forecast_horizon) == ((), 172800)


def test_a_full_anomaly_scan_section_is_read() -> None:
    config = load_schedules(
        {
            "anomaly_scan": {
                "cron": "*/10 * * * *",
                "targets": ["checkout-api", "payments"],
                "metrics": ["latency", "error_rate"],
                "lookback": "2h",
                "min_score": 0.7,
                "severity": "critical",
                "lease_ttl": "20s",
            }
        }
    )
    scan = config.anomaly_scan
    assert scan is not None
    assert scan.schedule == Cron("*/10 * * * *")
    assert scan.targets == ("checkout-api", "payments")
    assert scan.metrics == ("latency", "error_rate")
    assert (scan.lookback, scan.min_score, scan.severity, scan.lease_ttl) == (
        7200,
        0.7,
        "critical",
        20,
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"anomaly_scan": {"every": "5x"}}, "schedules.anomaly_scan.every: '5x' is not a duration"),
        ({"anomaly_scan": {"every": "0.5s"}}, "schedules.anomaly_scan.every: must be at least 1s"),
        ({"anomaly_scan": {"every": "5m", "cron": "* * * * *"}},
         "schedules.anomaly_scan: give either every or cron, not both"),
        ({"daily_digest": {"cron": "0 25 * * *"}},
         "schedules.daily_digest.cron: '0 25 * * *' is not a cron expression"),
        ({"anomaly_scan": {"metrics": ["cpu", "load"]}},
         "schedules.anomaly_scan.metrics: unknown metric 'load'"),
        ({"anomaly_scan": {"evry": "5m"}}, "schedules.anomaly_scan.evry: unknown setting"),
        ({"anomaly_scn": {}}, "schedules.anomaly_scn: unknown job; the jobs are anomaly_scan"),
        ({"anomaly_scan": {"every": "2s", "lease_ttl": "2s"}},
         "schedules.anomaly_scan.lease_ttl: must be shorter than the interval"),
        ({"anomaly_scan": {"lease_ttl": "100ms"}},
         "schedules.anomaly_scan.lease_ttl: must be at least 0.5s"),
        ({"anomaly_scan": {"severity": "high"}},
         "schedules.anomaly_scan.severity: Input should be"),
        ({"anomaly_scan": {"min_score": 2}}, "schedules.anomaly_scan.min_score: Input should be"),
        ({"anomaly_scan": {"lookback": "10s"}}, "schedules.anomaly_scan.lookback: must be between"),
        ({"daily_digest": {"window": "5m"}}, "schedules.daily_digest.window: must be between"),
        ({"daily_digest": "daily"}, "schedules.daily_digest: must be a mapping of settings"),
        ({"anomaly_scan": {"targets": [""]}}, "schedules.anomaly_scan.targets.0: String should"),
        ({"anomaly_scan": {"forecast_metrics": ["latency"]}},
         "schedules.anomaly_scan.forecast_metrics: 'latency' has no limit to forecast against"),
        ({"anomaly_scan": {"forecast_horizon": "10m"}},
         "schedules.anomaly_scan.forecast_horizon: must be between 1h and 7d"),
    ],
)  # fmt: skip
def test_config_errors_name_the_bad_key(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_schedules(raw)
    assert str(caught.value).startswith(message), str(caught.value)


def test_a_non_mapping_section_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"^schedules: must be a mapping"):
        load_schedules(["anomaly_scan"])  # type: ignore[arg-type]
