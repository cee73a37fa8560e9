"""Alertmanager notifications read as groups and rendered as posts: recorded payloads,
severity and targets for choosing subscribers, and buttons whose commands the bot's own
parser reads back as the silence or acknowledgement they promise."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

import pytest

from bot.core.errors import InvalidInput
from bot.core.model import Severity
from bot.features.alerts.group import AlertGroup
from bot.features.alerts.model import Acknowledgement
from bot.features.alerts.payload import parse_notification
from bot.features.alerts.publisher import digest_of
from bot.features.alerts.render import render_group
from bot.features.alerts.silences import MAX_DURATION
from tests.fakes.alerts import alert_parser, recorded

LABELS = ("instance", "job", "service")


def group_of(name: str) -> AlertGroup:
    return AlertGroup.from_notification(parse_notification(recorded(name)))


def test_a_recorded_firing_notification_is_one_group_with_its_key_and_alert() -> None:
    notification = parse_notification(recorded("firing.json"))
    group = AlertGroup.from_notification(notification)
    assert group.key == '{}:{alertname="HighLatency", instance="checkout-api-1:8080"}'
    assert group.status == "firing"
    (alert,) = group.alerts
    assert (alert.name, alert.severity, alert.ends_at) == ("HighLatency", "critical", None)
    assert alert.starts_at is not None
    assert alert.starts_at.tzinfo is not None
    assert group.short_id == group.key_hash[:8]


def test_a_group_is_addressed_to_its_severity_and_every_target_name() -> None:
    group = group_of("group_partly_resolved.json")
    audience = group.audience(LABELS)
    assert audience.severity == "critical"
    assert {"web-1", "web-1:9100", "db-primary", "node"} <= audience.targets
    assert group.common_target(LABELS) == "node"


def test_a_resolved_group_keeps_its_severity_and_has_an_end() -> None:
    group = group_of("resolved.json")
    assert group.status == "resolved"
    assert not group.firing
    assert group.severity == "critical"
    assert group.alerts[0].ends_at is not None


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"status": "firing", "alerts": []}',
        b'{"groupKey": "k", "status": "exploded", "alerts": [{"status": "firing"}]}',
        b'{"groupKey": "k", "status": "firing", "alerts": [{"status": "firing", "labels": 3}]}',
    ],
)
def test_a_body_that_is_not_a_notification_is_invalid_input(body: bytes) -> None:
    with pytest.raises(InvalidInput, match="not an Alertmanager notification"):
        parse_notification(body)


def test_the_stored_snapshot_reads_back_as_the_same_notification() -> None:
    notification = parse_notification(recorded("group_partly_resolved.json"))
    assert parse_notification(notification.to_json()) == notification


def test_a_firing_post_says_what_where_and_since_with_a_silence_menu_and_ack_button() -> None:
    reply = render_group(group_of("firing.json"), None, target_labels=LABELS)
    assert reply.title == "Firing: HighLatency on checkout-api-1"
    assert "p95 latency of checkout-api is 2.3 s" in reply.text
    assert "Since 20" in reply.text
    assert "UTC" in reply.text
    assert reply.severity is Severity.CRITICAL
    assert [c.label for c in reply.choices] == ["Acknowledge"]
    (menu,) = reply.menus
    assert menu.label == "Silence for..."
    assert [o.label for o in menu.options] == [
        "30 min", "1 hour", "2 hours", "4 hours", "8 hours", "1 day", "3 days", "7 days",
    ]  # fmt: skip
    assert reply.footer == f"Alertmanager · group {group_of('firing.json').short_id}"


def test_every_menu_and_button_command_parses_to_the_silence_or_ack_it_promises() -> None:
    group = group_of("firing.json")
    reply = render_group(group, None, target_labels=LABELS)
    parser = alert_parser()
    commands = [o.command for o in reply.menus[0].options] + [c.command for c in reply.choices]
    intents = [parser.parse(command) for command in commands]
    assert [(i.name, dict(i.slots)) for i in intents] == [
        ("alert_silence", {"alertname": "HighLatency", "target": "checkout-api-1",
                           "duration": minutes * 60})
        for minutes in (30, 60, 120, 240, 480, 1440, 3 * 1440, 7 * 1440)
    ] + [("ack", {"alert_id": group.short_id})]  # fmt: skip


def test_the_longest_silence_offered_is_the_longest_chat_may_set() -> None:
    """7 days is the cap of a chat silence (a product limit): the menu offers up to it."""
    group = group_of("firing.json")
    longest = render_group(group, None, target_labels=LABELS).menus[0].options[-1]
    duration = alert_parser().parse(longest.command).slots["duration"]
    assert duration == MAX_DURATION.total_seconds()


def test_a_group_grouped_by_alert_name_only_is_silenced_by_alert_name_only() -> None:
    """Its alerts share ``job="node"``, but the group is "InstanceDown anywhere"."""
    group = group_of("group_partly_resolved.json")
    reply = render_group(group, None, target_labels=LABELS)
    silence = alert_parser().parse(reply.menus[0].options[1].command)
    assert (silence.name, dict(silence.slots)) == (
        "alert_silence",
        {"alertname": "InstanceDown", "duration": 3600},
    )


def test_a_group_grouped_by_service_is_silenced_by_that_target() -> None:
    raw = json.loads(recorded("firing.json"))
    raw["groupLabels"] = {"service": "checkout-api"}
    group = AlertGroup.from_notification(parse_notification(json.dumps(raw)))
    command = render_group(group, None, target_labels=LABELS).menus[0].options[1].command
    assert command == "silence alerts on checkout-api for 1h"
    silence = alert_parser().parse(command)
    assert (silence.name, dict(silence.slots)) == (
        "alert_silence",
        {"target": "checkout-api", "duration": 3600},
    )


def test_a_group_with_neither_name_nor_target_offers_no_silence() -> None:
    raw = json.loads(recorded("firing.json"))
    raw["groupLabels"], raw["commonLabels"] = {"cluster": "eu-1"}, {"cluster": "eu-1"}
    group = AlertGroup.from_notification(parse_notification(json.dumps(raw)))
    reply = render_group(group, None, target_labels=LABELS)
    assert [c.label for c in reply.choices] == ["Acknowledge"]
    assert reply.menus == ()
    assert reply.title == "Firing: cluster=eu-1"


def test_a_partly_resolved_group_lists_its_alerts_worst_news_first() -> None:
    reply = render_group(group_of("group_partly_resolved.json"), None, target_labels=LABELS)
    assert reply.title == "Firing (2): InstanceDown on node"
    assert "2 alerts firing, 1 resolved." in reply.text
    assert reply.table is not None
    assert [row[2] for row in reply.table.rows] == ["firing", "firing", "resolved"]
    assert reply.table.rows[-1][1] == "web-2"


def test_a_resolved_post_has_no_buttons_and_says_when() -> None:
    reply = render_group(group_of("resolved.json"), None, target_labels=LABELS)
    assert reply.title == "Resolved: HighLatency on checkout-api-1"
    assert reply.severity is Severity.SUCCESS
    assert reply.choices == ()
    assert reply.menus == ()
    assert "Resolved at 20" in reply.text


def test_an_acknowledged_post_names_who_and_drops_the_ack_button() -> None:
    ack = Acknowledgement("U0ANA", "Ana", datetime(2026, 1, 2, 3, 4, tzinfo=UTC))
    reply = render_group(group_of("firing.json"), ack, target_labels=LABELS)
    assert ("Acknowledged", "by Ana at 2026-01-02 03:04 UTC") in [
        (f.label, f.value) for f in reply.fields
    ]
    assert "Acknowledge" not in [c.label for c in reply.choices]


def test_rendering_is_deterministic_so_unchanged_groups_are_not_edited() -> None:
    group = group_of("group_partly_resolved.json")
    first = render_group(group, None, target_labels=LABELS)
    again = render_group(group_of("group_partly_resolved.json"), None, target_labels=LABELS)
    assert digest_of(first) == digest_of(again)
    assert digest_of(first) == digest_of(dataclasses.replace(first, correlation_id="x"))
    assert digest_of(first) != digest_of(dataclasses.replace(first, text="changed"))
    assert digest_of(first) != digest_of(dataclasses.replace(first, menus=()))
