"""Help generated from the registry, "did you mean", and the console renderer."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from adapters.console import ConsoleChat, ConsoleRenderer
from bot.core.formatting import render_table
from bot.core.model import Chart, Choice, Field, IncomingMessage, Reply, Severity, Table
from bot.core.registry import HandlerSpec, Registry, Request
from bot.features.help.handlers import render_help, render_unknown
from intents.model import Intent, IntentName, Mention, SpeechAct

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 16


async def _noop(request: Request) -> Reply:
    return Reply(text=request.intent.name)


def _registry() -> Registry:
    return Registry(
        [
            HandlerSpec(
                IntentName.METRIC_QUERY, "metrics", "A metric with a chart.", ("cpu web-1",), _noop
            ),
            HandlerSpec(IntentName.STATUS, "status", "What is down.", ("what's down?",), _noop),
            HandlerSpec(
                IntentName.APPROVE, "remediation", "Approve a request.", ("approve 12",), _noop
            ),
            HandlerSpec(IntentName.DENY, "remediation", "Deny a request.", ("deny 12",), _noop),
        ]
    )


def test_help_lists_each_topic_once_with_examples_from_the_handlers() -> None:
    reply = render_help(_registry(), None)
    labels = [f.label for f in reply.fields]
    assert labels == ["metrics", "status", "remediation"]
    assert "`approve 12`" in reply.fields[2].value
    assert "`deny 12`" in reply.fields[2].value


def test_a_topic_is_summed_up_by_its_own_handler_whatever_the_registration_order() -> None:
    registry = Registry(
        [
            HandlerSpec(IntentName.WHOAMI, "remediation", "Your platform id.", ("whoami",), _noop),
            HandlerSpec(
                IntentName.REMEDIATION,
                "remediation",
                "Run a guarded action.",
                ("restart x",),
                _noop,
            ),
            HandlerSpec(
                IntentName.APPROVE, "remediation", "Approve a request.", ("approve 12",), _noop
            ),
        ]
    )
    (field,) = render_help(registry, None).fields
    assert field.value.startswith("Run a guarded action. e.g. `restart x`, `whoami`")


def test_help_on_a_topic_gives_every_example_of_that_topic() -> None:
    reply = render_help(_registry(), "remediation")
    assert "approve 12" in reply.text
    assert "deny 12" in reply.text
    assert "cpu web-1" not in reply.text


def test_help_tolerates_a_misspelt_topic() -> None:
    assert "cpu web-1" in render_help(_registry(), "metrcs").text


def test_help_on_an_unknown_topic_lists_the_topics() -> None:
    reply = render_help(_registry(), "kubernetes")
    assert "no help" in reply.text
    assert "metrics" in reply.text


def test_unknown_text_with_a_suggestion_asks_and_offers_buttons() -> None:
    """A "did you mean" names the exact command, acts on nothing, and offers Yes/No."""
    intent = Intent(IntentName.UNKNOWN, 0.5, suggestion="status web-1")
    reply = render_unknown(_registry(), intent)
    assert "Did you mean `status web-1`?" in reply.text
    assert [c.command for c in reply.choices] == ["status web-1", "no"]


def test_unknown_text_without_a_near_command_has_no_suggestion() -> None:
    reply = render_unknown(_registry(), Intent(IntentName.UNKNOWN, 1.0))
    assert "Did you mean" not in reply.text
    assert "`help`" in reply.text


@pytest.mark.parametrize(
    ("refusal", "act", "expected"),
    [
        ("negated", SpeechAct.NEGATION, "OK, I will not `restart web-1`. Nothing was changed."),
        ("unsafe", SpeechAct.COMMAND, "Refused: that carries shell or markup characters"),
        ("extra_words", SpeechAct.COMMAND, "I could not fit 'and web-2' into `restart web-1`"),
        (None, SpeechAct.REPORT, "Noted. I did not do anything"),
        (None, SpeechAct.STATEMENT, "I did not act on that. To ask for it, say `restart web-1`"),
    ],
)
def test_a_command_not_acted_on_says_so_and_why(
    refusal: str | None, act: SpeechAct, expected: str
) -> None:
    """Negations, refusals, reports and statements are answered, and nothing happens."""
    slots = {"action": "restart", "target": "web-1"}
    about = Mention(IntentName.REMEDIATION, slots, "restart web-1")
    intent = Intent(
        IntentName.UNKNOWN, 0.99, act=act, about=about, refusal=refusal,
        rejected={"words": "and web-2"} if refusal == "extra_words" else {},
    )  # fmt: skip
    assert expected in render_unknown(_registry(), intent).text


def test_a_subscription_naming_another_channel_says_where_to_say_it() -> None:
    """The parser refuses "subscribe #incidents to critical" (it would subscribe this
    channel); the answer names the channel and the command to say there."""
    from bot.app.parsing import build_configured_parser

    intent = build_configured_parser().parse("subscribe #incidents to critical")
    text = render_unknown(_registry(), intent).text
    assert "Nothing was changed" in text
    assert "Say `subscribe critical` in #incidents itself." in text


def test_table_columns_are_padded_to_the_widest_cell() -> None:
    text = render_table(Table(("name", "v"), (("web-1", "1"), ("db-primary", "0"))))
    lines = text.splitlines()
    assert lines[0].rindex("v") == lines[2].rindex("1") == lines[3].rindex("0")
    assert set(lines[1].strip().replace(" ", "")) == {"-"}


def test_console_renders_every_part_and_saves_charts(tmp_path: Path) -> None:
    reply = Reply(
        title="CPU · web-1",
        text="CPU is 40 %",
        fields=(Field("Now", "40 %"),),
        code="up == 0",
        charts=(Chart("cpu", PNG, "cpu/../web 1.png", "cpu chart"),),
        choices=(Choice("Approve", "approve 3"),),
        severity=Severity.WARNING,
        footer="Source: demo data",
    )
    text = ConsoleRenderer(tmp_path).render(reply)
    saved = list(tmp_path.iterdir())
    assert len(saved) == 1
    assert saved[0].read_bytes() == PNG
    assert saved[0].parent == tmp_path
    assert str(saved[0]) in text
    assert text.startswith("[!] CPU · web-1")
    for part in ("CPU is 40 %", "Now  40 %", "    up == 0", '"approve 3"', "(Source: demo data)"):
        assert part in text


def test_console_charts_never_overwrite_an_earlier_session(tmp_path: Path) -> None:
    """A second console session (a new renderer) continues the numbering the first left, even
    for a chart of the same name, so every chart file of every session is kept."""
    chart = Reply(text="", charts=(Chart("cpu", PNG, "cpu-web-1.png", "cpu chart"),))
    first = ConsoleRenderer(tmp_path)
    first.render(chart)
    first.render(chart)
    (tmp_path / "notes.txt").write_text("not a chart")
    second = ConsoleRenderer(tmp_path)
    second.render(Reply(text="", charts=(Chart("cpu", b"second", "cpu-web-1.png", "cpu chart"),)))
    names = sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".png")
    assert names == ["001-cpu-web-1.png", "002-cpu-web-1.png", "003-cpu-web-1.png"]
    assert (tmp_path / "001-cpu-web-1.png").read_bytes() == PNG
    assert (tmp_path / "003-cpu-web-1.png").read_bytes() == b"second"


def test_console_shows_code_spans_as_quotes_not_backticks(tmp_path: Path) -> None:
    """The console does not render markdown: `status web-2` reads as "status web-2", and a
    lone backtick in user text stays as it is."""
    text = ConsoleRenderer(tmp_path).render(
        Reply(text="web-2 is down? Try `status web-2` (label a`b).", footer="Try `help`")
    )
    assert 'Try "status web-2" (label a`b).' in text
    assert '(Try "help")' in text


async def test_console_chat_sends_each_line_as_one_conversation(tmp_path: Path) -> None:
    seen: list[IncomingMessage] = []

    async def handle(message: IncomingMessage) -> Reply:
        seen.append(message)
        return Reply(text=f"echo {message.text}")

    out = io.StringIO()
    chat = ConsoleChat(handle, ConsoleRenderer(tmp_path), out)
    await chat.run(io.StringIO("first\n\nsecond\n"), interactive=False)
    assert [m.text for m in seen] == ["first", "second"]
    assert len({m.key for m in seen}) == 1
    assert seen[0].platform == "console"
    assert out.getvalue() == "echo first\necho second\n"


@pytest.mark.parametrize("word", ["quit", "exit", "bye", "Bye!", "q"])
async def test_interactive_console_leaves_on_a_quit_word(tmp_path: Path, word: str) -> None:
    """At a terminal "quit", "exit", "bye" or "q" ends the chat; nothing after it is sent.
    Piped lines are all messages ("bye" may be a message in a script)."""
    seen: list[str] = []

    async def handle(message: IncomingMessage) -> Reply:
        seen.append(message.text)
        return Reply(text="ok")

    chat = ConsoleChat(handle, ConsoleRenderer(tmp_path), io.StringIO())
    await chat.run(io.StringIO(f"first\n{word}\nsecond\n"), interactive=True)
    assert seen == ["first"]


def test_console_starts_a_state_changing_answer_with_the_command_understood(tmp_path: Path) -> None:
    text = ConsoleRenderer(tmp_path).render(Reply(text="Refused.", echo="restart payments"))
    assert text.splitlines()[0] == 'Understood: "restart payments"'
