"""Subscriptions, silences and acknowledgements from chat, through the bot's own parser and
dispatcher: what users type, what they are told, and what is stored or sent to
Alertmanager (an in-memory fake of its API here; the real one in the integration tests).
Ana and Bob are on call (the policy's ``oncall`` role may silence, subscribe and acknowledge);
Eve is not."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.dispatcher import Dispatcher
from bot.core.model import Reply, Severity
from bot.core.ports import ChannelRef
from bot.features.alerts.alerting import Alerting
from bot.features.alerts.model import Matcher
from bot.features.alerts.payload import parse_notification
from bot.features.metrics.ports import Alert
from bot.features.remediation.policy import load_policy
from storage.sql.alert_store import SqlAlertStore, open_alert_store_at
from tests.fakes.alerts import (
    MemorySilences,
    RecordingPoster,
    alert_dispatcher,
    alerting_over,
    on_call,
    recorded,
    said,
)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlAlertStore]:
    async with open_alert_store_at(f"sqlite+aiosqlite:///{tmp_path / 'alerts.db'}") as store:
        yield store


@pytest.fixture
def poster() -> RecordingPoster:
    return RecordingPoster()


@pytest.fixture
def silences() -> MemorySilences:
    held = {"instance": "web-2:9100", "job": "node", "alertname": "InstanceDown"}
    return MemorySilences([Alert("InstanceDown", "critical", "firing", held, "down", 0.0)])


@pytest.fixture
def alerting(store: SqlAlertStore, poster: RecordingPoster, silences: MemorySilences) -> Alerting:
    return alerting_over(store, {"chat": poster}, silences)


ON_CALL = on_call("chat:U0ANA", "chat:U0BOB", "console:me")


@pytest.fixture
def bot(alerting: Alerting) -> Dispatcher:
    return alert_dispatcher(alerting, policy=ON_CALL)


async def ana(bot: Dispatcher, text: str, channel: str = "C-OPS") -> Reply:
    return await bot.handle(said("chat", channel, "U0ANA", "Ana", text))


# --------------------------------------------------------------------------- subscriptions


async def test_subscribing_is_stored_for_the_channel_and_said_in_plain_words(
    bot: Dispatcher, store: SqlAlertStore
) -> None:
    reply = await ana(bot, "subscribe critical")
    assert reply.title == "Subscribed"
    assert "I will post critical alerts here" in reply.text
    assert "already subscribed to critical alerts" in (await ana(bot, "subscribe critical")).text
    await ana(bot, "subscribe warning for checkout-api")
    (first, second) = await store.subscriptions(ChannelRef("chat", "T1", "C-OPS"))
    assert (first.severity, first.target, first.created_by) == ("critical", None, "U0ANA")
    assert (second.severity, second.target) == ("warning", "checkout-api")
    assert await store.subscriptions(ChannelRef("chat", "T1", "C-OTHER")) == []


async def test_subscriptions_lists_this_channels_and_unsubscribe_removes_them(
    bot: Dispatcher,
) -> None:
    await ana(bot, "subscribe critical")
    await ana(bot, "subscribe warning for checkout-api")
    listed = await ana(bot, "subscriptions")
    assert listed.table is not None
    assert [row[0] for row in listed.table.rows] == [
        "subscribe critical", "subscribe warning for checkout-api",
    ]  # fmt: skip
    assert "warning and critical alerts for checkout-api" in listed.text
    gone = await ana(bot, "unsubscribe warning for checkout-api")
    assert gone.text == "No more posts here for warning and critical alerts for checkout-api."
    assert "critical alerts" in (await ana(bot, "unsubscribe")).text
    assert "gets no alert posts" in (await ana(bot, "subscriptions")).text


async def test_unsubscribing_from_a_filter_the_channel_lacks_says_what_it_has(
    bot: Dispatcher,
) -> None:
    await ana(bot, "subscribe critical")
    reply = await ana(bot, "unsubscribe warning")
    assert "no subscription to warning and critical alerts" in reply.text
    assert "`subscribe critical`" in reply.text
    assert reply.severity is Severity.WARNING


@pytest.mark.parametrize("text", ["unsubscribe me", "stop pinging me", "no more alerts for me"])
async def test_unsubscribe_me_in_a_team_channel_changes_nothing_and_says_why(
    bot: Dispatcher, store: SqlAlertStore, text: str
) -> None:
    """Posts go to a channel: "unsubscribe me" said in one stopped them for everyone."""
    await ana(bot, "subscribe critical")
    reply = await ana(bot, text)
    assert "Nothing was changed: alert posts go to a channel, not to one person" in reply.text
    assert "direct message" in reply.text
    assert [s.severity for s in await store.subscriptions()] == ["critical"]
    assert "No more posts here" in (await ana(bot, "unsubscribe")).text


async def test_subscribe_me_in_a_direct_message_is_for_that_person(
    store: SqlAlertStore, poster: RecordingPoster, silences: MemorySilences
) -> None:
    """In a DM the channel is the person's own: "subscribe me" and "unsubscribe me" act."""
    alerting = alerting_over(store, {"chat": poster}, silences)
    dm = dataclasses.replace(said("chat", "D-ANA", "U0ANA", "Ana", "x"), is_direct=True)
    bot = alert_dispatcher(alerting, policy=on_call("chat:U0ANA", allow_dm=True))
    made = await bot.handle(dataclasses.replace(dm, text="subscribe me to critical alerts"))
    assert made.title == "Subscribed"
    assert [s.channel.channel_id for s in await store.subscriptions()] == ["D-ANA"]
    gone = await bot.handle(dataclasses.replace(dm, text="unsubscribe me"))
    assert gone.title == "Unsubscribed"
    assert await store.subscriptions() == []


async def test_the_console_cannot_subscribe(bot: Dispatcher, store: SqlAlertStore) -> None:
    reply = await bot.handle(said("console", "console", "me", "me", "subscribe critical"))
    assert "cannot post alerts into this chat (console)" in reply.text
    assert await store.subscriptions() == []


# --------------------------------------------------------------------------- silences


async def test_a_silence_from_chat_is_made_in_alertmanager_by_the_user(
    bot: Dispatcher, silences: MemorySilences
) -> None:
    reply = await ana(bot, "silence HighLatency for 2h")
    (draft,) = silences.drafts
    assert draft.matchers == (Matcher("alertname", "HighLatency"),)
    assert (draft.ends_at - draft.starts_at).total_seconds() == 7200
    assert draft.created_by == "Ana (chat:U0ANA)"
    assert draft.comment == "from chat by Ana (chat:U0ANA)"
    assert reply.title == "Silenced HighLatency for 2h"
    assert f"unsilence {next(iter(silences.silences))[:8]}" in reply.text


async def test_a_target_is_silenced_on_the_label_that_carries_it(
    bot: Dispatcher, silences: MemorySilences
) -> None:
    await ana(bot, "silence InstanceDown on web-2 for 30m")
    await ana(bot, "silence alerts on web-9 for 1h")
    first, second = silences.drafts
    assert first.matchers == (
        Matcher("alertname", "InstanceDown"),
        Matcher("instance", "web-2(:[0-9]+)?", is_regex=True),
    )
    assert second.matchers == (Matcher("instance", "web-9(:[0-9]+)?", is_regex=True),)


async def test_a_silence_without_a_length_lasts_an_hour_and_says_so(
    bot: Dispatcher, silences: MemorySilences
) -> None:
    reply = await ana(bot, "silence HighLatency")
    (draft,) = silences.drafts
    assert (draft.ends_at - draft.starts_at).total_seconds() == 3600
    assert "the default" in reply.text


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("silence HighLatency for 10d", "at most 7d"),
        ("silence for 2h", "would silence every alert"),
    ],
)
async def test_too_long_or_too_broad_silences_are_refused(
    bot: Dispatcher, silences: MemorySilences, text: str, says: str
) -> None:
    reply = await ana(bot, text)
    assert says in reply.text
    assert silences.drafts == []


async def test_silences_lists_the_live_ones_and_unsilence_takes_an_id_prefix(
    bot: Dispatcher, silences: MemorySilences
) -> None:
    await ana(bot, "silence HighLatency for 2h")
    await ana(bot, "silence DiskFull for 1h")
    listed = await ana(bot, "silences")
    assert listed.table is not None
    assert [row[1] for row in listed.table.rows] == ['alertname="DiskFull"',
                                                     'alertname="HighLatency"']  # fmt: skip
    first = next(s for s in silences.silences.values() if "HighLatency" in s.matchers[0].value)
    reply = await ana(bot, f"unsilence {first.id[:6]}")
    assert reply.title == f"Silence {first.id[:8]} ended"
    assert silences.silences[first.id].state == "expired"
    assert len((await ana(bot, "silences")).table.rows) == 1  # type: ignore[union-attr]


async def test_unsilence_by_name_never_makes_a_silence(
    bot: Dispatcher, silences: MemorySilences
) -> None:
    """The parser alone reads "unsilence X" as a silence of X; the alert route prevents it."""
    assert "No active silence" in (await ana(bot, "unsilence HighLatency")).text
    await ana(bot, "silence HighLatency for 2h")
    await ana(bot, "silence HighLatency on web-2 for 2h")
    assert "matches several silences" in (await ana(bot, "unsilence HighLatency")).text
    assert len(silences.drafts) == 2
    assert (
        await ana(bot, "unsilence web-2")
    ).text == "Alerts for HighLatency on web-2 notify again."


async def test_without_alertmanager_silence_commands_say_what_to_configure(
    store: SqlAlertStore, poster: RecordingPoster
) -> None:
    bot = alert_dispatcher(alerting_over(store, {"chat": poster}, None), policy=ON_CALL)
    for text in ("silence HighLatency for 2h", "silences", "unsilence 3f2a"):
        reply = await ana(bot, text)
        assert "Alertmanager is not configured" in reply.text, text
        assert "ALERTMANAGER_URL" in reply.text, text


# --------------------------------------------------------------------------- acknowledgements


async def test_ack_shows_who_acknowledged_on_every_post_of_the_group(
    bot: Dispatcher, alerting: Alerting, poster: RecordingPoster
) -> None:
    await ana(bot, "subscribe")
    await ana(bot, "subscribe", channel="C-SRE")
    notification = parse_notification(recorded("firing.json"))
    assert await alerting.notifier.notify(notification) == 2
    ack_command = poster.posts[0].reply.choices[-1].command
    reply = await bot.handle(said("chat", "C-SRE", "U0BOB", "Bob", ack_command))
    assert reply.title == "Acknowledged HighLatency"
    assert "2 posts updated" in reply.text
    for post in poster.posts:
        shown = poster.latest(post.ref)
        assert "by Bob at" in {f.label: f.value for f in shown.fields}["Acknowledged"]
        assert "Acknowledge" not in [c.label for c in shown.choices]
    again = await ana(bot, ack_command)
    assert "already acknowledged by Bob" in again.text
    assert len(poster.edits) == 2


async def test_ack_of_an_unknown_or_malformed_group_id_says_so(bot: Dispatcher) -> None:
    assert "No alert group has an id starting with 0000" in (await ana(bot, "ack 0000")).text
    assert "`ack` what?" in (await ana(bot, "ack")).text


def _on(instance: str) -> bytes:
    """The recorded HighLatency notification, for the checkout-api replica ``instance``."""
    body = json.loads(recorded("firing.json"))
    for labels in (body["groupLabels"], body["commonLabels"], body["alerts"][0]["labels"]):
        labels["instance"] = f"{instance}:8080"
    body["groupKey"] = f'{{}}:{{alertname="HighLatency", instance="{instance}:8080"}}'
    return json.dumps(body).encode()


async def test_ack_by_alert_name_acknowledges_its_one_firing_group(
    bot: Dispatcher, alerting: Alerting, store: SqlAlertStore
) -> None:
    """ "ack highlatency" (any case) acknowledges the one firing HighLatency group."""
    await alerting.notifier.notify(parse_notification(recorded("firing.json")))
    reply = await ana(bot, "ack highlatency")
    assert reply.title == "Acknowledged HighLatency"
    (group,) = await store.firing_groups()
    assert group.ack is not None
    assert group.ack.user_id == "U0ANA"


async def test_ack_by_a_name_firing_in_several_groups_asks_which_and_acks_none(
    bot: Dispatcher, alerting: Alerting, store: SqlAlertStore
) -> None:
    for instance in ("checkout-api-1", "checkout-api-2"):
        await alerting.notifier.notify(parse_notification(_on(instance)))
    reply = await ana(bot, "ack HighLatency")
    assert "HighLatency is firing in 2 groups; which one?" in reply.text
    assert "checkout-api-1" in reply.plain_text()
    assert "checkout-api-2" in reply.plain_text()
    assert all(g.ack is None for g in await store.firing_groups())


async def test_ack_by_a_name_that_is_not_firing_changes_nothing(
    bot: Dispatcher, alerting: Alerting, store: SqlAlertStore
) -> None:
    await alerting.notifier.notify(parse_notification(recorded("resolved.json")))
    assert "No DiskFull alert is firing" in (await ana(bot, "ack DiskFull")).text
    assert "No HighLatency alert is firing" in (await ana(bot, "ack HighLatency")).text
    assert await store.firing_groups() == []


async def test_help_teaches_the_alert_commands(bot: Dispatcher) -> None:
    reply = await ana(bot, "help alerts")
    text = reply.plain_text()
    for example in ("subscribe critical", "silence HighLatency for 2h", "unsilence 3f2a9c1e",
                    "ack 3f2a9c1e", "subscriptions", "silences"):  # fmt: skip
        assert example in text


# --------------------------------------------------------------------------- silence lengths


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("silence NodeDown for 0s", "'0s'"),
        ("silence NodeDown for 0m", "'0m'"),
        ("silence NodeDown for -5m", "'-5m'"),
        ("silence NodeDown for 10 years", "'10 years'"),
        ("silence NodeDown on web-2 for 1y", "'1y'"),
        ("silence NodeDown for a while", "'a while'"),
        ("silence NodeDown for 2-3h", "'2-3h'"),  # silenced a target called "2-3h"
        ("silence NodeDown for 2h-3h", "'2h-3h'"),
        ("silence NodeDown for 1h30", "'1h30'"),
    ],
)
async def test_a_length_that_cannot_be_read_makes_no_silence(
    bot: Dispatcher, silences: MemorySilences, text: str, said: str
) -> None:
    """No default hour, and no target made of the length: the request is refused."""
    reply = await ana(bot, text)
    assert f"I couldn't read the duration {said}" in reply.text
    assert "at most 7d" in reply.text
    assert reply.severity is Severity.WARNING
    assert silences.drafts == []


async def test_for_a_target_is_still_a_target_not_a_length(
    bot: Dispatcher, silences: MemorySilences
) -> None:
    """A "for" naming the target (silence alerts for web-2) is no length: default hour."""
    reply = await ana(bot, "silence alerts for web-2")
    (draft,) = silences.drafts
    assert draft.matchers == (Matcher("instance", "web-2(:[0-9]+)?", is_regex=True),)
    assert "the default" in reply.text


# --------------------------------------------------------------------------- authorisation


async def eve(bot: Dispatcher, text: str, channel: str = "C-OPS") -> Reply:
    return await bot.handle(said("chat", channel, "U0EVE", "Eve", text))


async def test_someone_off_call_can_change_nothing_but_can_list(
    bot: Dispatcher, store: SqlAlertStore, silences: MemorySilences, alerting: Alerting
) -> None:
    """Eve's silence, unsilence, subscribe, unsubscribe and ack are refused with the role
    they need; nothing is made, ended, removed or acknowledged. Lists stay open to her."""
    await ana(bot, "subscribe critical")
    await ana(bot, "silence HighLatency for 2h")
    await alerting.notifier.notify(parse_notification(recorded("firing.json")))
    (group,) = await store.find_groups("")
    for text, what in [
        ("silence DiskFull for 1h", "silence or unsilence alerts"),
        (f"unsilence {next(iter(silences.silences))[:6]}", "silence or unsilence alerts"),
        ("subscribe", "subscribe or unsubscribe a channel"),
        ("subscribe critical", "subscribe or unsubscribe a channel"),
        ("unsubscribe", "subscribe or unsubscribe a channel"),
        (f"ack {group.short_id}", "acknowledge alerts"),
    ]:
        reply = await eve(bot, text, channel="C-DM-EVE" if "subscribe" in text else "C-OPS")
        assert f"not allowed to {what} (it needs the oncall role)" in reply.text, text
        assert "chat:U0EVE" in reply.text, "says which id to grant"
        assert reply.severity is Severity.WARNING
    assert len(silences.drafts) == 1
    assert [s.state for s in silences.silences.values()] == ["active"]
    assert await store.subscriptions() != []
    assert [s.channel.channel_id for s in await store.subscriptions()] == ["C-OPS"]
    (still,) = await store.find_groups("")
    assert still.ack is None
    assert (await eve(bot, "silences")).table is not None
    assert "critical alerts" in (await eve(bot, "subscriptions")).text


async def test_eve_cannot_unsubscribe_the_on_call_channel(
    bot: Dispatcher, store: SqlAlertStore
) -> None:
    await ana(bot, "subscribe critical")
    assert "not allowed" in (await eve(bot, "unsubscribe")).text
    assert len(await store.subscriptions(ChannelRef("chat", "T1", "C-OPS"))) == 1


async def test_a_role_granted_to_a_channel_lets_its_members_act(
    alerting: Alerting, silences: MemorySilences
) -> None:
    """Roles may name channels: everyone in chat:C-OPS may silence, elsewhere nobody."""
    policy = load_policy({"roles": {"oncall": {"channels": ["chat:C-OPS"]}},
                          "alerts": {"silence": "oncall"}})  # fmt: skip
    bot = alert_dispatcher(alerting, policy=policy)
    assert (await eve(bot, "silence HighLatency for 2h")).title == "Silenced HighLatency for 2h"
    refused = await eve(bot, "silence DiskFull for 2h", channel="C-RANDOM")
    assert "needs the oncall role" in refused.text
    assert "subscribe or unsubscribe" in (await eve(bot, "subscribe")).text, "not granted"
    assert len(silences.drafts) == 1


async def test_with_no_alert_grants_nobody_may_change_alerting(
    alerting: Alerting, silences: MemorySilences, store: SqlAlertStore
) -> None:
    """Fail closed: an empty policy refuses every change and says which key grants it."""
    bot = alert_dispatcher(alerting, policy=load_policy({}))
    for text, key in [
        ("silence HighLatency for 2h", "policy.alerts.silence"),
        ("unsilence 3f2a", "policy.alerts.silence"),
        ("subscribe critical", "policy.alerts.subscribe"),
        ("unsubscribe", "policy.alerts.subscribe"),
        ("ack 3f2a9c1e", "policy.alerts.acknowledge"),
    ]:
        reply = await ana(bot, text)
        assert "no role is granted it yet" in reply.text, text
        assert f"`{key}` in the config file" in reply.text, text
    assert silences.drafts == []
    assert await store.subscriptions() == []
    assert "No active silences" in (await ana(bot, "silences")).text


async def test_silences_and_subscriptions_from_a_direct_message_need_allow_dm(
    store: SqlAlertStore, poster: RecordingPoster, silences: MemorySilences
) -> None:
    """A DM is seen by nobody else: silence and subscribe from one only when allowed."""
    alerting = alerting_over(store, {"chat": poster}, silences)
    dm = dataclasses.replace(said("chat", "D-ANA", "U0ANA", "Ana", "subscribe"), is_direct=True)
    strict = alert_dispatcher(alerting, policy=on_call("chat:U0ANA"))
    for text in ("subscribe", "silence HighLatency for 2h", "unsilence 3f2a"):
        reply = await strict.handle(dataclasses.replace(dm, text=text))
        assert "from a direct message" in reply.text, text
        assert "policy.alerts.allow_dm" in reply.text, text
    assert silences.drafts == []
    assert await store.subscriptions() == []
    relaxed = alert_dispatcher(alerting, policy=on_call("chat:U0ANA", allow_dm=True))
    assert (await relaxed.handle(dm)).title == "Subscribed"
    made = await relaxed.handle(dataclasses.replace(dm, text="silence HighLatency for 1h"))
    assert made.title == "Silenced HighLatency for 1h"
    assert len(silences.drafts) == 1
