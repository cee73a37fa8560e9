"""Request signing: Slack's own published example verifies, and the bot's endpoint enforces
the signature and the 5-minute window with exactly that algorithm."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from urllib.parse import parse_qsl, urlencode

import pytest
from slack_sdk.signature import Clock, SignatureVerifier

from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_bot import BOT_TOKEN, SIGNING_SECRET, RecordingCore, SlackBot, running_bot
from tests.fakes.slack_requests import FORM, SlackRequest, sign

# The example in Slack's "Verifying requests from Slack" guide
# (https://docs.slack.dev/authentication/verifying-requests-from-slack): a slash command
# body, the app's signing secret, the request timestamp and the signature Slack sent.
PUBLISHED_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
PUBLISHED_TIMESTAMP = 1531420618
PUBLISHED_BODY = (
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
    "&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
    "&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands"
    "%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
PUBLISHED_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


class FixedClock(Clock):
    """slack_sdk's clock, stopped at one instant."""

    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


def published_verifier(seconds_after: float) -> SignatureVerifier:
    """Bolt's verifier (slack_sdk's SignatureVerifier) with the published secret."""
    return SignatureVerifier(
        PUBLISHED_SECRET, clock=FixedClock(PUBLISHED_TIMESTAMP + seconds_after)
    )


def test_published_example_verifies() -> None:
    """Slack's published request verifies with the verifier Bolt runs on every request."""
    verifier = published_verifier(seconds_after=1)
    assert verifier.is_valid(PUBLISHED_BODY, str(PUBLISHED_TIMESTAMP), PUBLISHED_SIGNATURE)


def test_published_example_with_any_change_does_not_verify() -> None:
    """One changed character in the body, timestamp or signature breaks it."""
    verifier = published_verifier(seconds_after=1)
    ts = str(PUBLISHED_TIMESTAMP)
    assert not verifier.is_valid(PUBLISHED_BODY.replace("roadrunner", "roadrunnex"), ts,
                                 PUBLISHED_SIGNATURE)  # fmt: skip
    assert not verifier.is_valid(PUBLISHED_BODY, str(PUBLISHED_TIMESTAMP + 1), PUBLISHED_SIGNATURE)
    assert not verifier.is_valid(PUBLISHED_BODY, ts, PUBLISHED_SIGNATURE[:-1] + "4")


@pytest.mark.parametrize(("seconds_after", "valid"), [(299, True), (301, False), (-301, False)])
def test_published_example_is_valid_for_five_minutes(seconds_after: int, valid: bool) -> None:
    """The same request is accepted up to 5 minutes from its timestamp, and not after."""
    verifier = published_verifier(seconds_after)
    ts = str(PUBLISHED_TIMESTAMP)
    assert verifier.is_valid(PUBLISHED_BODY, ts, PUBLISHED_SIGNATURE) is valid


def test_test_signer_reproduces_the_published_signature() -> None:
    """The signer every end-to-end Slack test uses computes Slack's published signature, so
    those tests sign exactly as Slack does."""
    assert sign(PUBLISHED_SECRET, str(PUBLISHED_TIMESTAMP), PUBLISHED_BODY) == PUBLISHED_SIGNATURE


@pytest.fixture
async def bot() -> AsyncIterator[tuple[SlackBot, FakeSlack, RecordingCore]]:
    core = RecordingCore()
    async with FakeSlack(bot_token=BOT_TOKEN) as fake, running_bot(fake, core.handle) as running:
        yield running, fake, core


async def test_endpoint_refuses_the_published_request_as_replayed(
    bot: tuple[SlackBot, FakeSlack, RecordingCore],
) -> None:
    """Slack's published request, signature intact but from 2018, is a replay: 401."""
    running, fake, core = bot
    headers = {
        "Content-Type": FORM,
        "X-Slack-Request-Timestamp": str(PUBLISHED_TIMESTAMP),
        "X-Slack-Signature": PUBLISHED_SIGNATURE,
    }
    response = await running.client.post("/slack/events", data=PUBLISHED_BODY, headers=headers)
    assert response.status == 401
    assert fake.calls == []
    assert core.messages == []


@pytest.mark.parametrize(("age", "status"), [(290, 200), (310, 401)])
async def test_endpoint_applies_the_five_minute_window(
    bot: tuple[SlackBot, FakeSlack, RecordingCore], age: int, status: int
) -> None:
    """The published body, re-signed with this bot's secret: accepted when signed 4m50s ago,
    refused when signed 5m10s ago."""
    running, fake, core = bot
    fields = dict(parse_qsl(PUBLISHED_BODY, keep_blank_values=True))
    fields["response_url"] = fake.response_url("window")
    request = SlackRequest(urlencode(fields), FORM)
    got, _ = await running.send(request, timestamp=int(time.time()) - age, secret=SIGNING_SECRET)
    await running.settle()
    assert got == status
    assert len(core.messages) == (1 if status == 200 else 0)
