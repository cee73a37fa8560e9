"""Help, generated from the registry (so every handler documents itself), and the answer for
text the bot does not understand, with "did you mean" for near-miss commands."""

from __future__ import annotations

from rapidfuzz import fuzz, process

from bot.model import Field, Reply
from bot.registry import HandlerSpec, Registry, Request

_INTRO = (
    "I answer operations questions and run guarded actions. Ask in plain words or terse "
    "commands; follow-ups like \"and memory?\" or \"same for payments\" reuse the last question."
)
_COMMAND_WORDS = (
    "cpu", "memory", "disk", "network", "latency", "errors", "traffic", "promql", "status",
    "alerts", "silence", "anomalies", "restart", "scale", "rollback", "approve", "deny",
    "subscribe", "unsubscribe", "help",
)  # fmt: skip


def help_specs(registry: Registry) -> list[HandlerSpec]:
    """The ``help`` and ``unknown`` handlers over ``registry``."""

    async def show_help(request: Request) -> Reply:
        topic = str(request.intent.slots.get("topic", "")).lower()
        return render_help(registry, topic or None)

    async def not_understood(request: Request) -> Reply:
        return render_unknown(registry, request.message.text)

    return [
        HandlerSpec(
            intent="help",
            topic="help",
            summary="What I can do, or how to use one topic.",
            examples=("help", "help alerts", "how do I query metrics?"),
            handler=show_help,
        ),
        HandlerSpec(
            intent="unknown",
            topic="help",
            summary="Anything I cannot place.",
            examples=(),
            handler=not_understood,
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
        return Reply(text=f"I have no help on \"{topic}\". Topics: {topics}.")
    by_topic: dict[str, list[HandlerSpec]] = {}
    for spec in specs:
        by_topic.setdefault(spec.topic, []).append(spec)
    fields = tuple(
        Field(
            label=topic.replace("_", " "),
            value=f"{group[0].summary} e.g. " + ", ".join(f"`{s.examples[0]}`" for s in group),
        )
        for topic, group in by_topic.items()
    )
    return Reply(
        title="What I can do",
        text=_INTRO,
        fields=fields,
        footer="Say `help <topic>` for more examples, e.g. `help alerts`.",
    )


def render_unknown(registry: Registry, text: str) -> Reply:
    """Say we did not understand; suggest the nearest command when the first word is close."""
    words = text.strip().split()
    suggestion = None
    if words:
        match = process.extractOne(words[0].lower(), _COMMAND_WORDS, scorer=fuzz.ratio)
        if match is not None and 70 <= match[1] < 100:
            suggestion = match[0]
    examples = [s.examples[0] for s in registry.specs() if s.examples][:4]
    lines = ["I did not understand that."]
    if suggestion:
        lines.append(f"Did you mean `{suggestion}`?")
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
