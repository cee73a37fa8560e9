"""Private answers and ``share``: the core decides who sees an answer, and ``share`` posts the
asker's last private answer to the channel once."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry

from bot.core.dispatcher import Dispatcher
from bot.core.errors import DependencyError, UserError
from bot.core.model import Choice, Form, IncomingMessage, Menu, Reply, Visibility
from bot.core.registry import HandlerSpec, Registry, Request
from bot.core.sharing import NOTHING_TO_SHARE, SHARE_COMMAND, PrivateAnswers, with_share_button
from bot.core.telemetry import Telemetry
from intents.model import IntentName
from ml.intent_classifier import build_parser
from storage.memory import InMemoryContextStore

PARSER = build_parser()


@pytest.mark.parametrize(
    "text",
    ["share", "Share!", "share it", "share that with the channel", "post it to the channel",
     "share please"],
)  # fmt: skip
def test_a_bare_share_is_the_share_intent(text: str) -> None:
    intent = PARSER.parse(text)
    assert intent.name is IntentName.SHARE
    assert intent.canonical == "share"


@pytest.mark.parametrize(
    "text", ["share of 5xx on checkout-api", "post", "show it", "shared cpu of web-1"]
)
def test_sentences_using_the_word_are_not_share(text: str) -> None:
    assert PARSER.parse(text).name is not IntentName.SHARE


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _cpu(_: Request) -> Reply:
    return Reply(text="cpu 42 %")


async def _refuse(_: Request) -> Reply:
    raise UserError("You may not restart payments: that needs the operator role.")


async def _down(_: Request) -> Reply:
    raise DependencyError("prometheus", "Prometheus did not answer.")


async def _crash(_: Request) -> Reply:
    raise RuntimeError("boom")


async def _help(_: Request) -> Reply:
    return Reply(text="What I can do", choices=(Choice("Yes: cpu", "cpu"),))


def _dispatcher(answers: PrivateAnswers) -> Dispatcher:
    specs = [
        HandlerSpec(IntentName.METRIC_QUERY, "t", "cpu", (), _cpu),
        HandlerSpec(IntentName.HELP, "help", "help", (), _help),
        HandlerSpec(IntentName.REMEDIATION, "t", "restart", (), _refuse),
        HandlerSpec(IntentName.STATUS, "t", "status", (), _down),
        HandlerSpec(IntentName.HISTORY, "t", "history", (), _crash),
        HandlerSpec(IntentName.UNKNOWN, "help", "unknown", (), _help),
    ]
    return Dispatcher(
        PARSER, InMemoryContextStore(), Registry(specs), Telemetry(CollectorRegistry()),
        private_answers=answers,
    )  # fmt: skip


def _said(text: str, user: str = "U1", channel: str = "C1") -> IncomingMessage:
    return IncomingMessage("slack", "T1", channel, user, f"name-{user}", text)


@pytest.mark.parametrize(
    "text", ["help", "restart payments", "is web-1 up", "audit history", "flurb the wibble"]
)
async def test_help_refusals_errors_and_unknown_are_private(text: str) -> None:
    reply = await _dispatcher(PrivateAnswers()).handle(_said(text))
    assert reply.visibility is Visibility.PRIVATE


async def test_answers_to_the_channel_stay_public() -> None:
    reply = await _dispatcher(PrivateAnswers()).handle(_said("cpu of web-1"))
    assert reply.visibility is Visibility.PUBLIC


async def test_share_posts_the_last_private_answer_publicly_once_without_buttons() -> None:
    dispatcher = _dispatcher(PrivateAnswers())
    private = await dispatcher.handle(_said("restart payments"))
    await dispatcher.handle(_said("cpu of web-1"))  # public answers are not kept
    shared = await dispatcher.handle(_said("share"))
    assert shared.visibility is Visibility.PUBLIC
    assert shared.text == private.text
    assert shared.footer is not None
    assert "Shared by name-U1." in shared.footer
    again = await dispatcher.handle(_said("share"))
    assert again.private
    assert again.text == NOTHING_TO_SHARE


async def test_share_drops_the_buttons_meant_for_the_asker() -> None:
    dispatcher = _dispatcher(PrivateAnswers())
    assert (await dispatcher.handle(_said("help"))).choices
    assert (await dispatcher.handle(_said("share"))).choices == ()


async def test_nobody_can_share_another_persons_answer_or_one_from_elsewhere() -> None:
    dispatcher = _dispatcher(PrivateAnswers())
    await dispatcher.handle(_said("restart payments", user="U1", channel="C1"))
    assert (await dispatcher.handle(_said("share", user="U2", channel="C1"))).private
    assert (await dispatcher.handle(_said("share", user="U1", channel="C2"))).private
    assert not (await dispatcher.handle(_said("share", user="U1", channel="C1"))).private


async def test_a_private_answer_expires() -> None:
    clock = Clock()
    dispatcher = _dispatcher(PrivateAnswers(clock, keep_seconds=60))
    await dispatcher.handle(_said("help"))
    clock.now += 61
    assert (await dispatcher.handle(_said("share"))).text == NOTHING_TO_SHARE


async def test_the_store_is_bounded() -> None:
    answers = PrivateAnswers(limit=2)
    for user in ("U1", "U2", "U3"):
        await answers.keep(
            _said("help", user=user), Reply(text=user, visibility=Visibility.PRIVATE)
        )
    assert (await answers.share(_said("share", user="U1"))).text == NOTHING_TO_SHARE
    assert (await answers.share(_said("share", user="U3"))).text == "U3"


class DownStore:
    """An answer store whose backend is unreachable."""

    async def keep(self, key: str, reply: Reply, ttl_seconds: float) -> None:
        raise DependencyError("redis", "Redis is unreachable")

    async def take(self, key: str) -> Reply | None:
        raise DependencyError("redis", "Redis is unreachable")


async def test_a_store_that_is_down_costs_only_the_share() -> None:
    dispatcher = _dispatcher(PrivateAnswers(store=DownStore()))
    answered = await dispatcher.handle(_said("restart payments"))
    assert "operator role" in answered.text
    shared = await dispatcher.handle(_said("share"))
    assert shared.private
    assert "Redis is unreachable" in shared.text


async def test_ids_cannot_be_combined_into_another_persons_key() -> None:
    answers = PrivateAnswers()
    mine = IncomingMessage("slack", "T1", "C1|U2", "U1", "me", "help")
    theirs = IncomingMessage("slack", "T1", "C1", "U2|U1", "them", "share")
    await answers.keep(mine, Reply(text="mine", visibility=Visibility.PRIVATE))
    assert (await answers.share(theirs)).text == NOTHING_TO_SHARE


def test_only_private_replies_get_a_share_button_and_only_once() -> None:
    public = Reply(text="x")
    assert with_share_button(public) is public
    private = with_share_button(Reply(text="x", visibility=Visibility.PRIVATE))
    assert [c.command for c in private.choices] == [SHARE_COMMAND]
    assert with_share_button(private).choices == private.choices


async def test_share_drops_the_menus_and_dialogs_meant_for_the_asker() -> None:
    answers = PrivateAnswers()
    asked = _said("cpu of web")
    kept = Reply(
        "I don't know a target called 'web'.",
        visibility=Visibility.PRIVATE,
        menus=(Menu("Which target?", (Choice("web-1", "metric cpu web-1"),)),),
        forms=(Form("Add reason", "Why?", "Reason", "reason 1 {text}"),),
    )
    await answers.keep(asked, kept)
    shared = await answers.share(asked)
    assert (shared.menus, shared.forms, shared.text) == ((), (), kept.text)
