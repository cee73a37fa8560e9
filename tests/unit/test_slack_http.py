"""Slack end to end: signed requests into the bot's running aiohttp server, the real Bolt app
and Slack SDK, a real dispatcher, and a local fake Slack recording every call it gets."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.fakes.slack_api import BOT_ID, BOT_USER_ID, FakeSlack
from tests.fakes.slack_bot import (
    APP_TOKEN,
    BOT_TOKEN,
    CHART_PNG,
    SIGNING_SECRET,
    RecordingCore,
    SlackBot,
    running_bot,
)
from tests.fakes.slack_requests import (
    FORM,
    JSON,
    SlackRequest,
    app_mention,
    block_actions,
    direct_message,
    event_callback,
    payload,
    slash_command,
    url_verification,
)

USER = "U2147483697"
CHANNEL = "C0LAN2Q65"
BROADCAST = re.compile(r"<!(channel|here|everyone)\b|(?<![\w\u2060])@(channel|here|everyone)\b")


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(bot_token=BOT_TOKEN, app_token=APP_TOKEN) as server:
        yield server


@pytest.fixture
def core() -> RecordingCore:
    return RecordingCore(slow_seconds=0.6)


@pytest.fixture
async def bot(fake: FakeSlack, core: RecordingCore) -> AsyncIterator[SlackBot]:
    async with running_bot(fake, core.handle, placeholder_after=0.3) as running:
        yield running


def section_texts(blocks: list[dict[str, object]]) -> str:
    """All the text in Block Kit blocks, joined (order preserved)."""
    return "\n".join(re.findall(r"'text': '([^']*)'", str(blocks)))


async def test_slash_command_is_answered_with_text_and_chart(
    fake: FakeSlack, bot: SlackBot, core: RecordingCore
) -> None:
    """`/ops chart` is acknowledged at once, answered through response_url, and its chart goes
    up with files.getUploadURLExternal -> upload -> files.completeUploadExternal."""
    started = time.monotonic()
    status, _ = await bot.send(slash_command("chart cpu", response_url=fake.response_url("c1")))
    assert status == 200
    assert time.monotonic() - started < 3.0
    await bot.settle()

    [answer] = fake.calls_to("response_url")
    assert answer.params["response_type"] == "in_channel"
    assert "CPU of web-1 is 42 % now." in section_texts(answer.blocks)
    [get_url] = fake.calls_to("files.getUploadURLExternal")
    assert get_url.params["filename"] == "cpu-web-1.png"
    assert int(get_url.params["length"]) == len(CHART_PNG)
    [upload] = fake.calls_to("upload")
    assert upload.raw == CHART_PNG
    [complete] = fake.calls_to("files.completeUploadExternal")
    assert complete.params["channel_id"] == payload("slash_command")["channel_id"]
    assert complete.params["files"] == [{"id": upload.params["file_id"], "title": "CPU of web-1"}]
    assert fake.methods().index("files.getUploadURLExternal") < fake.methods().index("upload")
    assert core.messages[0].user_id == payload("slash_command")["user_id"]
    assert core.messages[0].text == "chart cpu"


async def test_slow_slash_command_shows_working_on_it_then_replaces_it(
    fake: FakeSlack, bot: SlackBot
) -> None:
    """An answer slower than the placeholder delay first posts "Working on it…" through the
    response_url, then replaces that message (replace_original) with the answer."""
    status, _ = await bot.send(slash_command("slow please", response_url=fake.response_url("s")))
    assert status == 200
    await bot.settle()

    placeholder, answer = fake.calls_to("response_url")
    assert "Working on it…" in placeholder.params["text"]
    assert placeholder.params["replace_original"] is False
    assert answer.params["replace_original"] is True
    assert "Finally, the slow answer." in section_texts(answer.blocks)


async def test_fast_slash_command_posts_no_placeholder(fake: FakeSlack, bot: SlackBot) -> None:
    """A quick answer is posted once, with no placeholder to replace."""
    await bot.send(slash_command("echo hi", response_url=fake.response_url("f")))
    await bot.settle()

    [answer] = fake.calls_to("response_url")
    assert answer.params["replace_original"] is False
    assert "Working on it" not in answer.all_text()


@pytest.mark.parametrize(
    ("secret", "age_seconds", "why"),
    [
        ("not-the-signing-secret", 0, "forged signature"),
        (SIGNING_SECRET, 6 * 60, "stale timestamp (older than 5 minutes)"),
        (SIGNING_SECRET, -6 * 60, "timestamp from the future"),
    ],
)
async def test_unverified_request_gets_401_and_runs_nothing(
    fake: FakeSlack, bot: SlackBot, core: RecordingCore, secret: str, age_seconds: int, why: str
) -> None:
    """A request with a bad signature or outside the 5-minute window is refused with 401 and
    reaches neither the core nor Slack's API."""
    request = slash_command("echo hi", response_url=fake.response_url("x"))
    status, _ = await bot.send(request, secret=secret, timestamp=int(time.time()) - age_seconds)
    await bot.settle()

    assert status == 401, why
    assert core.messages == []
    assert fake.calls == []


async def test_tampered_body_gets_401(fake: FakeSlack, bot: SlackBot, core: RecordingCore) -> None:
    """A body changed after signing no longer matches its signature."""
    request = slash_command("echo hi", response_url=fake.response_url("x"))
    headers = request.headers(SIGNING_SECRET)
    tampered = request.body.replace("echo+hi", "echo+bye")
    response = await bot.client.post("/slack/events", data=tampered, headers=headers)
    await bot.settle()

    assert response.status == 401
    assert core.messages == []
    assert fake.calls == []


async def test_unsigned_request_gets_401(fake: FakeSlack, bot: SlackBot) -> None:
    """No signature headers at all: 401."""
    request = slash_command("echo hi", response_url=fake.response_url("x"))
    response = await bot.client.post(
        "/slack/events", data=request.body, headers={"Content-Type": request.content_type}
    )
    assert response.status == 401
    assert fake.calls == []


async def test_url_verification_challenge_is_answered(bot: SlackBot) -> None:
    """Slack's Events API handshake gets its challenge back."""
    status, body = await bot.send(url_verification())
    assert status == 200
    assert payload("url_verification")["challenge"] in body


async def test_retried_event_is_answered_once(
    fake: FakeSlack, bot: SlackBot, core: RecordingCore
) -> None:
    """Slack's redeliveries of an event (same event_id, X-Slack-Retry-Num) are acknowledged
    but answered only once."""
    event = app_mention(f"<@{BOT_USER_ID}> echo once", user=USER, channel=CHANNEL, ts="1.000100")
    request = event_callback(event, event_id="Ev0RETRY01")
    assert (await bot.send(request))[0] == 200
    assert (await bot.send(request, retry_num=1))[0] == 200
    assert (await bot.send(request, retry_num=2))[0] == 200
    await bot.settle()

    assert len(fake.calls_to("chat.postMessage")) == 1
    assert [m.text for m in core.messages] == ["echo once"]


async def test_mention_in_a_thread_is_answered_in_that_thread(
    fake: FakeSlack, bot: SlackBot, core: RecordingCore
) -> None:
    """A question in a thread gets its answer in the same thread, without the bot's mention
    in the text the core sees."""
    event = app_mention(f"<@{BOT_USER_ID}> echo hi", user=USER, channel=CHANNEL,
                        ts="1700.000200", thread_ts="1700.000100")  # fmt: skip
    await bot.send(event_callback(event, event_id="Ev0THREAD1"))
    await bot.settle()

    [post] = fake.calls_to("chat.postMessage")
    assert post.params["channel"] == CHANNEL
    assert post.params["thread_ts"] == "1700.000100"
    [heard] = core.messages
    assert (heard.text, heard.user_id, heard.thread_id) == ("echo hi", USER, "1700.000100")


async def test_top_level_mention_is_answered_at_top_level(fake: FakeSlack, bot: SlackBot) -> None:
    """A question outside any thread is answered in the channel, not in a new thread."""
    event = app_mention(f"<@{BOT_USER_ID}> echo hi", user=USER, channel=CHANNEL, ts="1.000300")
    await bot.send(event_callback(event, event_id="Ev0TOP0001"))
    await bot.settle()

    [post] = fake.calls_to("chat.postMessage")
    assert "thread_ts" not in post.params


async def test_direct_message_is_answered(
    fake: FakeSlack, bot: SlackBot, core: RecordingCore
) -> None:
    """A direct message to the bot goes the same path as a mention."""
    event = direct_message("echo from a DM", user=USER, channel="D024BE91L", ts="1.000400")
    await bot.send(event_callback(event, event_id="Ev0DM00002"))
    await bot.settle()

    [post] = fake.calls_to("chat.postMessage")
    assert post.params["channel"] == "D024BE91L"
    assert core.messages[0].is_direct


@pytest.mark.parametrize(
    "extra",
    [
        {"user": BOT_USER_ID},
        {"bot_id": BOT_ID, "subtype": "bot_message"},
        {"bot_id": "B0THERBOT1"},
        {"subtype": "message_changed"},
    ],
    ids=["own-user", "own-bot", "other-bot", "edit"],
)
async def test_bot_messages_and_edits_are_ignored(
    fake: FakeSlack, bot: SlackBot, core: RecordingCore, extra: dict[str, str]
) -> None:
    """The bot never answers its own messages, other bots, or message edits."""
    event = direct_message("echo loop", user=USER, channel="D024BE91L", ts="1.000500")
    status, _ = await bot.send(event_callback(event | extra, event_id="Ev0IGNORE1"))
    await bot.settle()

    assert status == 200
    assert core.messages == []
    assert fake.calls_to("chat.postMessage") == []


async def test_slow_mention_placeholder_is_edited_into_the_answer(
    fake: FakeSlack, bot: SlackBot
) -> None:
    """A slow answer to a mention: "Working on it…" is posted, then chat.update turns that
    same message into the answer."""
    event = app_mention(f"<@{BOT_USER_ID}> slow", user=USER, channel=CHANNEL, ts="1.000600")
    await bot.send(event_callback(event, event_id="Ev0SLOW001"))
    await bot.settle()

    [placeholder] = fake.calls_to("chat.postMessage")
    [update] = fake.calls_to("chat.update")
    assert "Working on it…" in placeholder.params["text"]
    assert update.params["channel"] == CHANNEL
    assert update.params["ts"].endswith(".000100")
    assert "Finally, the slow answer." in section_texts(update.blocks)


async def test_choices_become_buttons(fake: FakeSlack, bot: SlackBot) -> None:
    """The core's choices are rendered as buttons carrying their commands."""
    await bot.send(slash_command("choose", response_url=fake.response_url("b")))
    await bot.settle()

    [answer] = fake.calls_to("response_url")
    [actions] = [b for b in answer.blocks if b["type"] == "actions"]
    buttons = [(e["text"]["text"], e["value"], e.get("style")) for e in actions["elements"]]
    assert buttons == [("Approve", "approve 12", "primary"), ("Deny", "deny 12", "danger")]


async def test_button_click_reaches_the_core_as_the_clicking_user(
    fake: FakeSlack, bot: SlackBot, core: RecordingCore
) -> None:
    """A click runs the button's command as the user who clicked (by immutable id), and the
    clicked message is replaced: buttons gone, who chose what, then the core's answer."""
    clicker = "U0CA5"
    click = block_actions(user_id=clicker, response_url=fake.response_url("click"))
    status, _ = await bot.send(click)
    assert status == 200
    await bot.settle()

    [heard] = core.messages
    assert (heard.text, heard.user_id, heard.channel_id) == ("approve 12", clicker, "C0CA5")
    [update] = fake.calls_to("response_url")
    assert update.params["replace_original"] is True
    assert all(b["type"] != "actions" for b in update.blocks)
    text = section_texts(update.blocks)
    assert "Restart checkout-api?" in text
    assert f"*Approve* by <@{clicker}>" in text
    assert "Request 12 approved" in text


async def test_clicking_a_button_the_bot_rendered_runs_its_command(
    fake: FakeSlack, bot: SlackBot, core: RecordingCore
) -> None:
    """Round trip: the bot's own buttons, clicked, run the command they carry, and the
    message they were on is updated in place."""
    await bot.send(slash_command("choose", response_url=fake.response_url("ask")))
    await bot.settle()
    [question] = fake.calls_to("response_url")
    click = block_actions(user_id="U0CA5", response_url=fake.response_url("answer"),
                          blocks=question.blocks)  # fmt: skip
    await bot.send(click)
    await bot.settle()

    assert [(m.text, m.user_id) for m in core.messages[1:]] == [("approve 12", "U0CA5")]
    _, update = fake.calls_to("response_url")
    assert update.params["replace_original"] is True
    assert "*Approve* by <@U0CA5>" in update.displayed()
    assert "Restart checkout-api?" in update.displayed()


async def test_slow_click_shows_progress_on_the_clicked_message(
    fake: FakeSlack, bot: SlackBot
) -> None:
    """While a clicked command is slow, the message says who chose what and that it is
    being worked on (its buttons already gone); then the answer replaces that."""
    click = block_actions(user_id="U0CA5", response_url=fake.response_url("slow"),
                          value="slow please", label="Do it")  # fmt: skip
    await bot.send(click)
    await bot.settle()

    pending, done = fake.calls_to("response_url")
    assert "*Do it* by <@U0CA5>: _Working on it…_" in pending.displayed()
    assert all(b["type"] != "actions" for b in pending.blocks)
    assert "Finally, the slow answer." in done.displayed()
    assert done.params["replace_original"] is True


async def test_a_button_runs_once_however_often_it_is_clicked(
    fake: FakeSlack, bot: SlackBot, core: RecordingCore
) -> None:
    """Two clicks on the same button of the same message run its command once."""
    click = block_actions(user_id="U0CA5", response_url=fake.response_url("twice"))
    await bot.send(click)
    await bot.send(click)
    await bot.settle()

    assert [m.text for m in core.messages] == ["approve 12"]


async def test_broadcast_mentions_and_markup_in_user_text_are_neutralised(
    fake: FakeSlack, bot: SlackBot, core: RecordingCore
) -> None:
    """Text a user typed comes back in titles, sections, fields, code, footers and buttons
    with no <!channel>/<!here>/<!everyone> and no live @channel, and with <, >, & escaped."""
    typed = "<!channel> <!here> <!everyone> @channel @Here &lt;b&gt;&amp;"  # as Slack sends it
    text = f"<@{BOT_USER_ID}> echo {typed}"
    event = app_mention(text, user=USER, channel=CHANNEL, ts="1.000700")
    await bot.send(event_callback(event, event_id="Ev0BCAST01"))
    await bot.settle()

    assert core.messages[0].text == "echo @channel @here @everyone @channel @Here <b>&"
    [post] = fake.calls_to("chat.postMessage")
    shown = post.displayed()
    assert BROADCAST.search(shown) is None, shown
    assert "<b>" not in shown
    assert shown.count("&lt;b&gt;&amp;") >= 6  # notification, header, text, field, code, footer
    assert shown.count("@\u2060channel") >= 2


async def test_rate_limited_call_is_retried_after_retry_after(
    fake: FakeSlack, bot: SlackBot
) -> None:
    """A 429 from chat.postMessage is retried after the Retry-After seconds, and the answer
    is delivered once."""
    fake.rate_limit("chat.postMessage", retry_after=1)
    event = app_mention(f"<@{BOT_USER_ID}> echo hi", user=USER, channel=CHANNEL, ts="1.000800")
    await bot.send(event_callback(event, event_id="Ev0RATE001"))
    await bot.settle()

    limited, delivered = fake.calls_to("chat.postMessage")
    assert delivered.at - limited.at >= 1.0
    assert delivered.params == limited.params


async def test_long_output_is_cut_and_attached_in_full(fake: FakeSlack, bot: SlackBot) -> None:
    """Output beyond Slack's 3000-character section limit is cut in the message and the
    whole reply is uploaded as reply.txt."""
    await bot.send(slash_command("long", response_url=fake.response_url("long")))
    await bot.settle()

    [answer] = fake.calls_to("response_url")
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in answer.blocks)
    assert "reply.txt" in answer.all_text()
    [get_url] = fake.calls_to("files.getUploadURLExternal")
    assert get_url.params["filename"] == "reply.txt"
    [upload] = fake.calls_to("upload")
    assert b"line 00599 of a very long log" in upload.raw


async def test_chart_upload_failure_is_explained_to_the_user(
    fake: FakeSlack, bot: SlackBot
) -> None:
    """When the chart cannot be shared (the bot is not in the channel), the user is told so
    privately and the answer itself still arrives."""
    fake.fail("files.completeUploadExternal", "not_in_channel")
    await bot.send(slash_command("chart", response_url=fake.response_url("nc")))
    await bot.settle()

    answer, note = fake.calls_to("response_url")
    assert "42 %" in section_texts(answer.blocks)
    assert note.params["response_type"] == "ephemeral"
    assert "not_in_channel" in note.params["text"]


async def test_answer_slack_refuses_is_replaced_by_an_apology(
    fake: FakeSlack, bot: SlackBot
) -> None:
    """If Slack rejects the answer itself (here invalid_blocks), the user still hears back."""
    fake.fail("chat.postMessage", "invalid_blocks")
    event = app_mention(f"<@{BOT_USER_ID}> echo hi", user=USER, channel=CHANNEL, ts="1.001000")
    await bot.send(event_callback(event, event_id="Ev0REFUSE1"))
    await bot.settle()

    refused, apology = fake.calls_to("chat.postMessage")
    assert "You said" in refused.displayed()
    assert "Sorry, Slack refused my answer" in apology.displayed()
    assert "invalid_blocks" in apology.displayed()


async def test_mention_chart_that_cannot_be_shared_is_explained_in_the_thread(
    fake: FakeSlack, bot: SlackBot
) -> None:
    fake.fail("files.completeUploadExternal", "not_in_channel")
    event = app_mention(f"<@{BOT_USER_ID}> chart", user=USER, channel=CHANNEL,
                        ts="1.001100", thread_ts="1.000001")  # fmt: skip
    await bot.send(event_callback(event, event_id="Ev0NOCHART"))
    await bot.settle()

    answer, note = fake.calls_to("chat.postMessage")
    assert "42 %" in answer.displayed()
    assert note.params["thread_ts"] == "1.000001"
    assert "not_in_channel" in note.displayed()


async def test_response_url_outside_slack_is_refused(
    fake: FakeSlack, bot: SlackBot, core: RecordingCore
) -> None:
    """A signed payload naming a response_url on another host gets no POST from the bot."""
    await bot.send(slash_command("echo hi", response_url="http://203.0.113.9/hooks/x"))
    await bot.settle()

    assert fake.calls_to("response_url") == []


async def test_no_token_or_secret_in_logs_or_replies(
    fake: FakeSlack, bot: SlackBot, caplog: pytest.LogCaptureFixture
) -> None:
    """Across answered, refused and failing requests, with debug logging on, neither the
    tokens, the signing secret nor a response_url appear in the logs or in anything sent."""
    caplog.set_level(logging.DEBUG)
    hook = fake.response_url("secret-hook-path")
    verification_token = payload("slash_command")["token"]
    await bot.send(slash_command("chart", response_url=hook))
    await bot.send(slash_command("echo hi", response_url=hook), secret="forged")
    fake.fail("chat.postMessage", "invalid_blocks")
    event = app_mention(f"<@{BOT_USER_ID}> echo hi", user=USER, channel=CHANNEL, ts="1.000900")
    await bot.send(event_callback(event, event_id="Ev0LOGS001"))
    await bot.settle()

    logged = caplog.text
    assert "refused a request to /slack/events: invalid request signature" in logged
    for secret in (BOT_TOKEN, APP_TOKEN, SIGNING_SECRET, verification_token, "secret-hook-path"):
        assert secret not in logged, secret
        assert all(secret not in call.all_text() for call in fake.calls), secret


UNSIGNED_GARBAGE = [
    pytest.param(b"garbage", JSON, {}, id="not-json"),
    pytest.param(b"[]", JSON, {}, id="json-array"),
    pytest.param(b"payload=notjson", FORM, {}, id="payload-not-json"),
    pytest.param(b"payload=%5B%5D", FORM, {}, id="payload-array"),
    pytest.param(b"command=%2Fops&text=hi", FORM,
                 {"X-Slack-Request-Timestamp": "yesterday", "X-Slack-Signature": "v0=00"},
                 id="timestamp-not-a-number"),
]  # fmt: skip


def one_short_line_at_most(caplog: pytest.LogCaptureFixture) -> None:
    """The bot logged at most one line (the access logs, aiohttp's and the bot's, aside)."""
    records = [
        r for r in caplog.records if r.name not in ("aiohttp.access", "smartcloudops.access")
    ]
    assert len(records) <= 1, [r.getMessage() for r in records]
    assert all(r.exc_info is None and r.levelno < logging.ERROR for r in records)
    assert all("\n" not in r.getMessage() and len(r.getMessage()) < 200 for r in records)
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize(("body", "content_type", "headers"), UNSIGNED_GARBAGE)
async def test_unsigned_garbage_is_401_with_one_short_log_line(
    bot: SlackBot, core: RecordingCore, caplog: pytest.LogCaptureFixture,
    body: bytes, content_type: str, headers: dict[str, str],
) -> None:  # fmt: skip
    """Whatever an unsigned body holds, it is refused before it is parsed: 401, nothing run,
    at most one short line in the log (no traceback to flood it with)."""
    caplog.set_level(logging.DEBUG)
    response = await bot.client.post(
        "/slack/events", data=body, headers={"Content-Type": content_type, **headers}
    )
    assert response.status == 401
    assert core.messages == []
    one_short_line_at_most(caplog)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(b"garbage", JSON), (b"[]", JSON), (b"payload=notjson", FORM), (b"payload=%5B%5D", FORM),
     (b'{"type": "event_callback", "team": 5}', JSON), (b"\xff\xfe", JSON)],
)  # fmt: skip
async def test_signed_but_malformed_body_is_400(
    bot: SlackBot, core: RecordingCore, caplog: pytest.LogCaptureFixture,
    body: bytes, content_type: str,
) -> None:  # fmt: skip
    """A correctly signed body that is not a Slack payload is a client error, not a 500."""
    caplog.set_level(logging.DEBUG)
    ts = str(int(time.time()))
    base = b"v0:" + ts.encode() + b":" + body
    signature = "v0=" + hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()
    headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts,
               "X-Slack-Signature": signature}  # fmt: skip
    response = await bot.client.post("/slack/events", data=body, headers=headers)
    assert response.status == 400
    assert core.messages == []
    one_short_line_at_most(caplog)


async def test_a_replayed_slash_command_is_answered_once(
    fake: FakeSlack, bot: SlackBot, core: RecordingCore
) -> None:
    """The same signed command sent again within the 5-minute window (a replay) is
    acknowledged but not run again; the same words sent anew are."""
    request = slash_command("echo hi", response_url=fake.response_url("replay"))
    signed_at = int(time.time())
    assert (await bot.send(request, timestamp=signed_at))[0] == 200
    assert (await bot.send(request, timestamp=signed_at))[0] == 200
    await bot.settle()
    assert [m.text for m in core.messages] == ["echo hi"]
    assert (await bot.send(request, timestamp=signed_at - 1))[0] == 200
    await bot.settle()
    assert [m.text for m in core.messages] == ["echo hi", "echo hi"]


async def test_a_cold_start_burst_makes_one_auth_test_call(
    fake: FakeSlack, bot: SlackBot, core: RecordingCore
) -> None:
    """A thousand commands arriving together at a fresh bot: one auth.test between them,
    and every one is acknowledged."""
    url = bot.client.make_url("/slack/events")
    requests = [slash_command(f"echo {i}", response_url=fake.response_url(f"b{i}"))
                for i in range(1000)]  # fmt: skip
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:

        async def send(request: SlackRequest) -> tuple[int, float]:
            started = time.monotonic()
            headers = request.headers(SIGNING_SECRET)
            async with session.post(url, data=request.body, headers=headers) as response:
                return response.status, time.monotonic() - started

        acks = await asyncio.gather(*(send(r) for r in requests))
    await bot.settle()
    assert {status for status, _ in acks} == {200}
    assert len(fake.calls_to("auth.test")) == 1
    assert len(core.messages) == 1000
    latencies = sorted(seconds for _, seconds in acks)
    print(f"ack p50 {latencies[499]:.3f}s p99 {latencies[989]:.3f}s max {latencies[-1]:.3f}s")
