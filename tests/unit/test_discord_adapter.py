"""The Discord adapter end to end: the real discord.py client, started by the bot's aiohttp
server, against a local fake Discord (REST + gateway)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestServer

from adapters.discord.client import point_at
from adapters.discord.factory import SUPERVISOR_KEY
from bot.app.config import Settings
from bot.app.server import build_web_app
from bot.app.services import open_services
from bot.core.responder import WORKING_ON_IT
from storage.dedupe import InMemoryDedupeStore
from tests.fakes.discord_bot import (
    PNG,
    ScriptedCore,
    connected,
    fake_discord,
    fast_options,
    running_bot,
    scripted_services,
)
from tests.fakes.discord_checks import assert_nobody_pinged, message_payloads, pings_nobody
from tests.fakes.discord_server import (
    ANA,
    APP_ID,
    BEN,
    BOT_ID,
    CHANNEL_ID,
    DM_CHANNEL_ID,
    GUILD_ID,
    ROLE_ID,
    THREAD_ID,
    TOKEN,
    FakeDiscord,
    Json,
)

REPLY = r"/channels/\d+/messages"
CALLBACK = r"/interactions/\d+/[^/]+/callback"
FOLLOW_UP = r"/webhooks/\d+/[^/]+"
GUILDS, GUILD_MESSAGES, DIRECT_MESSAGES, MESSAGE_CONTENT = 1 << 0, 1 << 9, 1 << 12, 1 << 15


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with fake_discord(heartbeat_ms=500) as server:
        yield server
        assert_nobody_pinged(server)


@pytest.fixture
def core() -> ScriptedCore:
    return ScriptedCore()


@pytest.fixture
async def bot(fake: FakeDiscord, core: ScriptedCore) -> AsyncIterator[TestServer]:
    async with running_bot(scripted_services(core), fast_options(fake)) as server:
        await connected(fake)
        yield server


@pytest.fixture
async def impatient_bot(fake: FakeDiscord, core: ScriptedCore) -> AsyncIterator[TestServer]:
    """A bot that posts its placeholder after 50 ms (the ``slow`` handler takes 400 ms)."""
    options = fast_options(fake, placeholder_after=0.05)
    async with running_bot(scripted_services(core), options) as server:
        await connected(fake)
        yield server


async def test_a_mention_gets_a_reply_with_an_embed_and_the_chart(
    fake: FakeDiscord, core: ScriptedCore, bot: TestServer
) -> None:
    message = fake.user_message("chart cpu of web-1")
    await fake.dispatch("MESSAGE_CREATE", message)
    call = await fake.wait_for_call("POST", REPLY)
    assert call.path == f"/channels/{CHANNEL_ID}/messages"
    body = call.body or {}
    (embed,) = body["embeds"]
    assert embed["title"] == "CPU · web-1"
    assert [f["name"] for f in embed["fields"]] == ["Now", "Peak"]
    assert embed["image"]["url"] == "attachment://cpu-web-1.png"
    assert [(f.filename, f.data) for f in call.files] == [("cpu-web-1.png", PNG)]
    assert body["message_reference"]["message_id"] == int(message["id"])
    (asked,) = core.requests
    assert (asked.text, asked.user_id, asked.team_id) == ("chart cpu of web-1", ANA["id"], GUILD_ID)


async def test_a_direct_message_is_answered_in_the_dm(
    fake: FakeDiscord, core: ScriptedCore, bot: TestServer
) -> None:
    await fake.dispatch("MESSAGE_CREATE", fake.user_message("hello there", dm=True))
    call = await fake.wait_for_call("POST", REPLY)
    assert call.path == f"/channels/{DM_CHANNEL_ID}/messages"
    (asked,) = core.requests
    assert (asked.is_direct, asked.team_id, asked.text) == (True, "dm", "hello there")


async def test_a_thread_message_is_answered_in_the_thread_as_its_own_conversation(
    fake: FakeDiscord, core: ScriptedCore, bot: TestServer
) -> None:
    await fake.dispatch("MESSAGE_CREATE", fake.user_message("hi", channel_id=THREAD_ID))
    call = await fake.wait_for_call("POST", REPLY)
    assert call.path == f"/channels/{THREAD_ID}/messages"
    (asked,) = core.requests
    assert (asked.channel_id, asked.thread_id) == (CHANNEL_ID, THREAD_ID)


async def test_channel_chatter_is_ignored_and_intents_are_minimal(
    fake: FakeDiscord, core: ScriptedCore, bot: TestServer
) -> None:
    await fake.dispatch("MESSAGE_CREATE", fake.user_message("chart cpu", mention_bot=False))
    await fake.dispatch("MESSAGE_CREATE", fake.user_message("second"))
    await fake.wait_for_call("POST", REPLY)
    assert [r.text for r in core.requests] == ["second"]
    (identify,) = fake.ops(2)
    assert identify["d"]["intents"] == GUILDS | GUILD_MESSAGES | DIRECT_MESSAGES
    assert identify["d"]["shard"] == [0, 1]


async def test_a_configured_prefix_addresses_the_bot_with_the_message_content_intent(
    fake: FakeDiscord, core: ScriptedCore
) -> None:
    options = fast_options(fake, prefix="!ops")
    async with running_bot(scripted_services(core), options):
        await connected(fake)
        await fake.dispatch("MESSAGE_CREATE", fake.user_message("!ops chart", mention_bot=False))
        await fake.wait_for_call("POST", REPLY)
    assert [r.text for r in core.requests] == ["chart"]
    assert fake.ops(2)[0]["d"]["intents"] & MESSAGE_CONTENT


async def test_a_slow_answer_posts_a_placeholder_then_edits_it_into_the_answer(
    fake: FakeDiscord, impatient_bot: TestServer
) -> None:
    await fake.dispatch("MESSAGE_CREATE", fake.user_message("slow please"))
    placeholder = await fake.wait_for_call("POST", REPLY)
    assert (placeholder.body or {})["content"] == "Working on it…"
    edit = await fake.wait_for_call("PATCH", r"/channels/\d+/messages/\d+")
    assert (edit.body or {})["embeds"][0]["description"] == "Finally done."
    assert (edit.body or {})["content"] is None
    assert len(fake.calls_to("POST", REPLY)) == 1


async def test_a_slash_command_is_deferred_at_once_and_answered_by_a_follow_up(
    fake: FakeDiscord, core: ScriptedCore, bot: TestServer
) -> None:
    """Even a fast answer: the interaction is acknowledged first (type 5, "thinking…", so no
    slow step can miss Discord's 3 s deadline), and the answer is the follow-up."""
    command = fake.slash_command("chart cpu", user=BEN)
    await fake.dispatch("INTERACTION_CREATE", command)
    call = await fake.wait_for_call("POST", CALLBACK)
    assert call.path == f"/interactions/{command['id']}/{command['token']}/callback"
    assert (call.body or {})["type"] == 5
    follow_up = await fake.wait_for_call("POST", rf"/webhooks/{APP_ID}/{command['token']}")
    body = follow_up.body or {}
    assert body["embeds"][0]["title"] == "CPU · web-1"
    assert [f.filename for f in follow_up.files] == ["cpu-web-1.png"]
    (asked,) = core.requests
    assert (asked.text, asked.user_id, asked.user_name) == ("chart cpu", BEN["id"], "Ben")


async def test_a_slow_slash_command_is_deferred_then_answered_by_a_follow_up(
    fake: FakeDiscord, impatient_bot: TestServer
) -> None:
    command = fake.slash_command("slow one")
    await fake.dispatch("INTERACTION_CREATE", command)
    deferred = await fake.wait_for_call("POST", CALLBACK)
    assert (deferred.body or {})["type"] == 5
    follow_up = await fake.wait_for_call("POST", rf"/webhooks/{APP_ID}/{command['token']}")
    assert (follow_up.body or {})["embeds"][0]["description"] == "Finally done."


class SlowDedupe:
    """A dedupe store behind a slow Redis: an interaction's claim waits until the test opens
    ``gate`` (messages are claimed at once); ``completed`` lists the claims that returned."""

    def __init__(self) -> None:
        self._store = InMemoryDedupeStore()
        self.gate = asyncio.Event()
        self.completed: list[str] = []

    async def claim(self, key: str, ttl_seconds: int) -> bool:
        if key.startswith("discord:interaction:"):
            await self.gate.wait()
        won = await self._store.claim(key, ttl_seconds)
        self.completed.append(key)
        return won


async def _interaction(fake: FakeDiscord, kind: str) -> Json:
    if kind == "slash command":
        return fake.slash_command("chart cpu")
    await fake.dispatch("MESSAGE_CREATE", fake.user_message("chart cpu"))
    await fake.wait_for_call("POST", REPLY)
    message = fake.messages[next(iter(fake.messages))]
    return fake.button_click(message, "sco:approve 12", user=BEN)


@pytest.mark.parametrize(("kind", "deferral", "answer"), [
    ("slash command", 5, ("POST", FOLLOW_UP)),
    ("button click", 6, ("PATCH", rf"/webhooks/{APP_ID}/[^/]+/messages/@original")),
])  # fmt: skip
async def test_an_interaction_is_deferred_before_a_slow_dedupe_claim_completes(
    fake: FakeDiscord, core: ScriptedCore, kind: str, deferral: int, answer: tuple[str, str]
) -> None:
    """Discord drops an interaction not acknowledged within 3 s: the deferral reaches Discord
    while the claim in a slow dedupe store is still waiting, and the answer follows it."""
    dedupe = SlowDedupe()
    async with running_bot(scripted_services(core, dedupe=dedupe), fast_options(fake)):
        await connected(fake)
        interaction = await _interaction(fake, kind)
        key = f"discord:interaction:{interaction['id']}"
        await fake.dispatch("INTERACTION_CREATE", interaction)
        deferred = await fake.wait_for_call("POST", CALLBACK)
        assert (deferred.body or {})["type"] == deferral
        assert key not in dedupe.completed
        assert fake.calls_to(*answer) == []
        dedupe.gate.set()
        await fake.wait_for_call(*answer)
    assert dedupe.completed.count(key) == 1
    assert len(fake.calls_to("POST", CALLBACK)) == 1


async def test_autocomplete_suggests_catalog_metrics_and_known_targets(
    fake: FakeDiscord, bot: TestServer
) -> None:
    await fake.dispatch("INTERACTION_CREATE", fake.autocomplete("cpu of we"))
    call = await fake.wait_for_call("POST", CALLBACK)
    body = call.body or {}
    assert body["type"] == 8
    assert [c["value"] for c in body["data"]["choices"]] == ["cpu of web-1", "cpu of web-2"]
    await fake.dispatch("INTERACTION_CREATE", fake.autocomplete("me"))
    second = await fake.wait_for_call("POST", CALLBACK, count=2)
    assert "memory" in [c["value"] for c in (second.body or {})["data"]["choices"]]


async def test_ops_is_registered_once_and_not_resent_when_unchanged(
    fake: FakeDiscord, core: ScriptedCore
) -> None:
    for _ in range(2):
        async with running_bot(scripted_services(core), fast_options(fake)):
            await connected(fake)
    (put,) = fake.calls_to("PUT", rf"/applications/{APP_ID}/commands")
    (ops,) = put.body or []
    assert (ops["name"], ops["contexts"]) == ("ops", [0, 1])
    (option,) = ops["options"]
    assert (option["name"], option["type"], option["autocomplete"]) == ("text", 3, True)


async def test_a_button_click_reaches_the_core_as_the_clicking_user_and_updates_the_message(
    fake: FakeDiscord, core: ScriptedCore, bot: TestServer
) -> None:
    await fake.dispatch("MESSAGE_CREATE", fake.user_message("chart cpu", author=ANA))
    posted = await fake.wait_for_call("POST", REPLY)
    message = fake.messages[next(iter(fake.messages))]
    custom_ids = [c["custom_id"] for row in message["components"] for c in row["components"]]
    assert custom_ids == ["sco:approve 12", "sco:deny 12"]
    click = fake.button_click(message, "sco:approve 12", user=BEN)
    await fake.dispatch("INTERACTION_CREATE", click)
    deferred = await fake.wait_for_call("POST", CALLBACK)
    assert (deferred.body or {})["type"] == 6
    update = await fake.wait_for_call("PATCH", rf"/webhooks/{APP_ID}/[^/]+/messages/@original")
    clicked = core.requests[-1]
    assert (clicked.user_id, clicked.user_name, clicked.text) == (BEN["id"], "Ben", "approve 12")
    assert (clicked.channel_id, clicked.team_id) == (CHANNEL_ID, GUILD_ID)
    body = update.body or {}
    original, outcome = body["embeds"]
    assert original["title"] == (posted.body or {})["embeds"][0]["title"]
    assert outcome["author"]["name"] == "Ben chose Approve"
    assert outcome["description"] == "Approved request 12 by Ben."
    assert body["components"] == []
    kept = [a["id"] for a in body["attachments"]]
    assert kept == [int(a["id"]) for a in message["attachments"]]


async def test_a_slow_button_click_is_deferred_then_the_message_edited(
    fake: FakeDiscord, core: ScriptedCore, impatient_bot: TestServer
) -> None:
    await fake.dispatch("MESSAGE_CREATE", fake.user_message("chart cpu"))
    await fake.wait_for_call("POST", REPLY)
    message = fake.messages[next(iter(fake.messages))]
    message["components"][0]["components"][0]["custom_id"] = "sco:slow 1"
    click = fake.button_click(message, "sco:slow 1", user=BEN)
    await fake.dispatch("INTERACTION_CREATE", click)
    deferred = await fake.wait_for_call("POST", CALLBACK)
    assert (deferred.body or {})["type"] == 6
    edit = await fake.wait_for_call("PATCH", rf"/webhooks/{APP_ID}/[^/]+/messages/@original")
    embeds = (edit.body or {})["embeds"]
    assert embeds[-1]["description"] == "Finally done."
    assert core.requests[-1].user_id == BEN["id"]


async def test_everyone_and_role_pings_in_user_text_ping_nobody(
    fake: FakeDiscord, bot: TestServer
) -> None:
    text = f"@everyone @here <@&{ROLE_ID}> <@{ANA['id']}> look"
    await fake.dispatch("MESSAGE_CREATE", fake.user_message(text))
    await fake.dispatch("INTERACTION_CREATE", fake.slash_command(text))
    call = await fake.wait_for_call("POST", REPLY)
    await fake.wait_for_call("POST", FOLLOW_UP)
    sends = message_payloads(fake)
    assert len(sends) == 2
    assert all(pings_nobody(payload) for _, payload in sends)
    assert (call.body or {})["allowed_mentions"] == {"parse": [], "replied_user": False}
    echoed = json.dumps([payload for _, payload in sends], ensure_ascii=False)
    assert "You said:" in echoed
    for ping in ("@everyone", "@here", f"<@&{ROLE_ID}>", f"<@{ANA['id']}>"):
        assert ping not in echoed


async def test_a_dropped_gateway_connection_resumes_and_keeps_answering(
    fake: FakeDiscord, core: ScriptedCore, bot: TestServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    (session,) = fake.sessions
    await fake.drop()
    await fake.dispatch("MESSAGE_CREATE", fake.user_message("sent while disconnected"))
    await fake.wait_until(lambda: len(fake.ops(6)) == 1, "a RESUME (op 6)")
    (resume,) = fake.ops(6)
    assert resume["d"]["session_id"] == session.id
    assert resume["d"]["seq"] >= 2
    await fake.wait_for_call("POST", REPLY)
    await fake.dispatch("MESSAGE_CREATE", fake.user_message("after the resume"))
    await fake.wait_for_call("POST", REPLY, count=2)
    assert [r.text for r in core.requests] == ["sent while disconnected", "after the resume"]
    assert len(fake.ops(2)) == 1, "resumed, not re-identified"
    assert len(fake.connections) == 2
    assert "RESUMED" in caplog.text
    assert TOKEN not in caplog.text


async def test_long_output_is_cut_and_attached_as_a_file(
    fake: FakeDiscord, bot: TestServer
) -> None:
    await fake.dispatch("MESSAGE_CREATE", fake.user_message("long output"))
    call = await fake.wait_for_call("POST", REPLY)
    (upload,) = call.files
    assert upload.filename == "reply.txt"
    assert "line 00799" in upload.data.decode()
    assert "reply.txt" in (call.body or {})["embeds"][0]["description"]


async def test_a_rejected_token_stops_the_adapter_without_logging_the_token(
    fake: FakeDiscord, core: ScriptedCore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    options = fast_options(fake, token="not-the-right-token")
    async with running_bot(scripted_services(core), options) as server:
        supervisor = server.app[SUPERVISOR_KEY]
        await fake.wait_until(lambda: not supervisor.running, "the adapter to stop")
    assert fake.ops(2) == []
    assert "rejected DISCORD_TOKEN" in caplog.text
    assert "not-the-right-token" not in caplog.text


async def test_serve_with_discord_token_answers_a_mention_from_the_real_core(
    fake: FakeDiscord,
) -> None:
    """The composition root's path: DISCORD_TOKEN set -> open_services builds the plugin and
    the poster, the server starts the gateway, the real parser and demo metrics answer."""
    point_at(fake.api_base, fake.gateway_url)
    async with contextlib.AsyncExitStack() as stack:
        services = await stack.enter_async_context(open_services(Settings(discord_token=TOKEN)))
        assert "discord" in services.posters
        app = build_web_app(services.telemetry, services.checks, services.web_plugins)
        server = TestServer(app)
        await server.start_server()
        stack.push_async_callback(server.close)
        await connected(fake)
        await fake.dispatch("MESSAGE_CREATE", fake.user_message("cpu of web-1"))
        call = await fake.wait_for_call("POST", REPLY)
        if (call.body or {}).get("content") == WORKING_ON_IT:  # a slow machine: edited later
            call = await fake.wait_for_call("PATCH", r"/channels/\d+/messages/\d+")
    (embed,) = call.body["embeds"]
    assert "web-1" in embed["title"]
    assert call.files
    assert call.files[0].data.startswith(b"\x89PNG")
    assert embed["image"]["url"] == f"attachment://{call.files[0].filename}"
    assert BOT_ID not in json.dumps(embed)


async def test_a_menu_is_a_select_and_a_pick_is_its_command_sent_as_the_picker(
    fake: FakeDiscord, core: ScriptedCore, bot: TestServer
) -> None:
    await fake.dispatch("MESSAGE_CREATE", fake.user_message("controls", author=ANA))
    await fake.wait_for_call("POST", REPLY)
    message = fake.messages[next(iter(fake.messages))]
    components = [c for row in message["components"] for c in row["components"]]
    (select,) = [c for c in components if c["type"] == 3]
    assert select["placeholder"] == "Which target?"
    assert [(o["label"], o["value"]) for o in select["options"]] == [
        ("web-1", "approve 1"), ("web", "deny 2"),
    ]  # fmt: skip
    await fake.dispatch("INTERACTION_CREATE", fake.menu_pick(message, select["custom_id"],
                                                              "deny 2", user=BEN))  # fmt: skip
    update = await fake.wait_for_call("PATCH", rf"/webhooks/{APP_ID}/[^/]+/messages/@original")
    picked = core.requests[-1]
    assert (picked.user_id, picked.text) == (BEN["id"], "deny 2")
    assert (update.body or {})["embeds"][-1]["author"]["name"] == "Ben chose web"


async def test_a_form_opens_a_modal_whose_submission_is_its_command_as_the_submitter(
    fake: FakeDiscord, core: ScriptedCore, bot: TestServer
) -> None:
    await fake.dispatch("MESSAGE_CREATE", fake.user_message("controls", author=ANA))
    await fake.wait_for_call("POST", REPLY)
    message = fake.messages[next(iter(fake.messages))]
    components = [c for row in message["components"] for c in row["components"]]
    (button,) = [c for c in components if c["type"] == 2]
    assert button["label"] == "Add reason"
    await fake.dispatch("INTERACTION_CREATE", fake.button_click(message, button["custom_id"],
                                                                user=BEN))  # fmt: skip
    opened = await fake.wait_for_call("POST", CALLBACK)
    body = opened.body or {}
    assert body["type"] == 9
    modal = body["data"]
    assert modal["title"] == "Reason for #12"
    (row,) = modal["components"]
    (text_input,) = row["components"] if "components" in row else [row["component"]]
    assert (text_input["max_length"], text_input["min_length"]) == (300, 1)
    assert core.requests[-1].text == "controls", "opening the dialog runs nothing"

    typed = "pods  stuck\n@everyone <@&" + ROLE_ID + ">"
    submit = fake.modal_submit(message, modal["custom_id"], typed, user=BEN)
    await fake.dispatch("INTERACTION_CREATE", submit)
    await fake.wait_for_call("POST", CALLBACK, count=2)
    await fake.wait_for_call("POST", FOLLOW_UP)
    said = core.requests[-1]
    assert (said.user_id, said.channel_id) == (BEN["id"], CHANNEL_ID)
    assert said.text == f"reason 12 pods stuck @everyone <@&{ROLE_ID}>"


async def test_a_modal_submission_that_is_not_a_form_runs_nothing(
    fake: FakeDiscord, core: ScriptedCore, bot: TestServer
) -> None:
    await fake.dispatch("MESSAGE_CREATE", fake.user_message("controls", author=ANA))
    await fake.wait_for_call("POST", REPLY)
    message = fake.messages[next(iter(fake.messages))]
    for custom_id in ("scf:300|||restart payments", "scf:99999|||x {text}", "other"):
        await fake.dispatch("INTERACTION_CREATE", fake.modal_submit(message, custom_id, "hi"))
    await fake.dispatch("MESSAGE_CREATE", fake.user_message("unknown marker", author=ANA))
    await fake.wait_for_call("POST", REPLY, count=2)
    assert [r.text for r in core.requests] == ["controls", "unknown marker"]
