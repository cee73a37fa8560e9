"""Help, generated from the registry (so every handler documents itself), and the answer for
text the bot does not understand, with "did you mean" for near-miss commands."""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process

from bot.core.model import Choice, ChoiceStyle, Field, Reply, Severity
from bot.core.registry import HandlerSpec, Registry, Request
from intents.model import Intent, IntentName, SpeechAct
from intents.parser import CONFIRM_SECONDS

_INTRO = (
    "I answer operations questions and run guarded actions. Ask in plain words or terse "
    'commands; follow-ups like "and memory?" or "same for payments" reuse the last question.'
)


def help_specs(registry: Registry) -> list[HandlerSpec]:
    """The ``help``, ``unknown`` and ``confirm`` handlers over ``registry``."""

    async def show_help(request: Request) -> Reply:
        topic = str(request.intent.slots.get("topic", "")).lower()
        return render_help(registry, topic or None)

    async def not_understood(request: Request) -> Reply:
        return render_unknown(registry, request.intent)

    async def confirm(request: Request) -> Reply:
        return render_confirmation(request.intent)

    return [
        HandlerSpec(
            intent=IntentName.HELP,
            topic="help",
            summary="What I can do, or how to use one topic.",
            examples=("help", "help alerts", "how do I query metrics?"),
            handler=show_help,
        ),
        HandlerSpec(
            intent=IntentName.UNKNOWN,
            topic="help",
            summary="Anything I cannot place.",
            examples=(),
            handler=not_understood,
        ),
        HandlerSpec(
            intent=IntentName.CONFIRM,
            topic="help",
            summary='Answer a "did you mean" question with yes or no.',
            examples=(),
            handler=confirm,
        ),
    ]


def render_help(registry: Registry, topic: str | None) -> Reply:
    """Help for everything, or for one topic (by topic name, intent name or close match)."""
    specs = [s for s in registry.specs() if s.examples]
    if topic:
        chosen = _match_topic(specs, topic)
        if chosen:
            return _topic_help(topic, chosen)
        topics = ", ".join(sorted({s.topic for s in specs}))
        return Reply(text=f'I have no help on "{topic}". Topics: {topics}.')
    by_topic: dict[str, list[HandlerSpec]] = {}
    for spec in specs:
        by_topic.setdefault(spec.topic, []).append(spec)
    fields = tuple(_overview(topic, group) for topic, group in by_topic.items())
    return Reply(
        title="What I can do",
        text=_INTRO,
        fields=fields,
        footer="Say `help <topic>` for more examples, e.g. `help alerts`.",
    )


def _overview(topic: str, group: list[HandlerSpec]) -> Field:
    """A topic's line in the overview, spoken for by the handler named after it (the
    ``remediation`` handler for remediation, not ``whoami`` which happens to sit there too),
    else the first registered; its example comes first."""
    lead = next((s for s in group if s.intent == topic), group[0])
    ordered = [lead, *(s for s in group if s is not lead)]
    examples = ", ".join(f"`{s.examples[0]}`" for s in ordered)
    return Field(label=topic.replace("_", " "), value=f"{lead.summary} e.g. {examples}")


def render_unknown(registry: Registry, intent: Intent) -> Reply:
    """What the bot says when it will not act: a refusal with its reason, a "did you mean"
    to confirm, an acknowledgement of a negation or a report, or "I did not understand"."""
    about = intent.about.canonical if intent.about else None
    if intent.refusal == "unsafe":
        return _refusal(
            "Refused: that carries shell or markup characters, and I never pass chat text "
            "to a shell. Nothing was changed."
        )
    if intent.refusal == "extra_words" and "duration" in intent.rejected:
        return _refusal(
            f"I couldn't read the duration '{intent.rejected['duration']}'; use e.g. 30m, 2h, "
            f"1d, at most 7d. Nothing was silenced. Try `{about} for 2h`."
        )
    if intent.refusal == "extra_words" and _names_a_channel(intent):
        channel = next(w for w in intent.rejected["words"].split() if _CHANNEL.fullmatch(w))
        return _refusal(
            f"Nothing was changed: a subscription is for the channel it is said in, and "
            f"that named {channel}. Say `{about}` in {channel} itself."
        )
    if intent.refusal == "extra_words":
        extra = intent.rejected.get("words", "")
        return _refusal(
            f"Nothing was changed: I could not fit '{extra}' into `{about}`. "
            "One command, one target at a time; say exactly what should run."
        )
    if intent.refusal == "negated" and about:
        return Reply(text=f"OK, I will not `{about}`. Nothing was changed.")
    if intent.suggestion:
        return render_suggestion(intent.suggestion, unclear=intent.rejected.get("words"))
    if intent.act is SpeechAct.REPORT and about:
        return Reply(
            text="Noted. I did not do anything; `history` shows what the audit log recorded."
        )
    if intent.about and not intent.about.slots:
        return Reply(text=f"`{about}` what? `help {about}` shows how to say it.")
    if about:
        return Reply(text=f"I did not act on that. To ask for it, say `{about}` on its own.")
    return _not_understood(registry)


_CHANNEL = re.compile(r"#[A-Za-z][\w.-]*")


def _posting(intent: Intent) -> bool:
    return intent.about is not None and intent.about.intent in (
        IntentName.SUBSCRIBE,
        IntentName.UNSUBSCRIBE,
    )


def _rejected(intent: Intent) -> list[str]:
    return intent.rejected.get("words", "").lower().split()


def _names_a_channel(intent: Intent) -> bool:
    """ "subscribe #incidents to critical": refused because it names another channel."""
    return _posting(intent) and any(_CHANNEL.fullmatch(w) for w in _rejected(intent))


def render_suggestion(command: str, *, unclear: str | None = None) -> Reply:
    """ "Did you mean ...?": nothing happens until the same person says yes. ``unclear``
    is what made the bot ask ("approve 77 — went fine": was it done already?)."""
    asked = f"I was not sure what '{unclear}' means here. " if unclear else ""
    return Reply(
        text=f"{asked}Did you mean `{command}`? Reply `yes` within {CONFIRM_SECONDS // 60} "
        "minutes and I will do it; nothing has happened yet.",
        choices=(
            Choice(label=f"Yes: {command}", command=command, style=ChoiceStyle.PRIMARY),
            Choice(label="No", command="no"),
        ),
        severity=Severity.WARNING,
    )


def render_confirmation(intent: Intent) -> Reply:
    """A yes or no that had nothing (left) to answer, or a no that did."""
    if intent.slots.get("answer") == "no":
        if intent.suggestion:
            return Reply(text=f"OK, I will not `{intent.suggestion}`. Nothing was changed.")
        return Reply(text="OK.")
    return Reply(
        text='There is nothing waiting for a yes: a "did you mean" question is answered '
        f"on the very next message, within {CONFIRM_SECONDS // 60} minutes. "
        "Say the command itself instead."
    )


def _refusal(text: str) -> Reply:
    return Reply(text=text, severity=Severity.WARNING)


def _not_understood(registry: Registry) -> Reply:
    examples = [s.examples[0] for s in registry.specs() if s.examples][:4]
    lines = ["I did not understand that."]
    lines.append("Try: " + ", ".join(f"`{e}`" for e in examples) + ", or `help`.")
    return Reply(text="\n".join(lines))


def _match_topic(specs: list[HandlerSpec], topic: str) -> list[HandlerSpec]:
    exact = [s for s in specs if topic in (s.topic, s.intent)]
    if exact:
        return exact
    names = sorted({s.topic for s in specs} | {s.intent for s in specs})
    match = process.extractOne(topic, names, scorer=fuzz.WRatio)
    if match is None or match[1] < 75:
        return []
    return [s for s in specs if match[0] in (s.topic, s.intent)]


def _topic_help(topic: str, specs: list[HandlerSpec]) -> Reply:
    lines: list[str] = []
    for spec in specs:
        lines.append(spec.summary)
        lines.extend(f"  • {example}" for example in spec.examples)
    return Reply(title=f"Help: {specs[0].topic.replace('_', ' ')}", text="\n".join(lines))
