"""Slot extraction: given an intent and an :class:`Analysis`, the slots the user gave.

Values follow CONTRACT.md: ``range``/``duration`` whole seconds, ``replicas`` an int, metric and
severity canonical names, ``target``/``alertname``/``request_id`` as written but only ever plain
names (``[A-Za-z0-9._:-]``). A slot the message does not give is absent from the result.

Targets are found by shape (``web-1``, ``10.0.0.5:9100``) or by position: after a preposition
("health of payments"), after a verb that takes one ("restart search"), before a possessive or
a kind noun ("payments's latency", "the search service"), next to a metric ("payments latency").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from typing import Final

from intents import lexicon
from intents.analysis import Analysis, Span, is_camel, is_hostlike
from intents.lexicon import word_set
from intents.model import SlotValue
from intents.text import Token

PREPOSITIONS: Final = word_set("about across against at between for from in into of on with")
DETERMINERS: Final = word_set("a an its my our that the this your")
STATE_WORDS: Final = word_set(
    """
    alive available behaving broken dead degraded doing down fine good happy healthy looking
    offline ok okay online reachable responding running serving stable still unhealthy
    unreachable up working stuck hung frozen crashing crashed failing flapping overloaded
    struggling
    """
)
TARGET_VERBS: Final = word_set(
    """
    ack acknowledge bounce check diagnose examine health inspect investigate monitor mute
    ping probe quiet reboot restart revert rollback scale silence snooze status suppress
    test watch give increase decrease reduce set make bump bring resize grow shrink
    history audit forecast predict silences healthcheck unsilence unmute subscribe
    unsubscribe
    """
)
_NEXT_TARGET_CUES: Final = lexicon.TARGET_KIND_WORDS | word_set(
    "'s alerts replicas pods health healthy status silences history forecast"
)
REPLICA_WORDS: Final = word_set(
    """
    containers copies instance instances nodes pod pods replica replicas tasks workers
    """
)
CUSTOM_ACTION_VERBS: Final = word_set("apply execute invoke perform run trigger start launch")
_SCALE_WORDS: Final = REPLICA_WORDS | word_set("more fewer increase decrease reduce bump")
_EARLIER: Final = word_set("previous prior older earlier good")
_RELEASES: Final = word_set("version release build deploy deployment image tag")
"""In a remediation with no action verb, words that make it a scale ("add more pods to
search", "reduce checkout-api to 2 instances") or a rollback ("bring payments back to the
previous release")."""
_ACTION_NOUNS: Final = word_set(
    """
    a action job my our playbook procedure remediation runbook script task the
    """
)
_REQUEST_NOUNS: Final = word_set("action approval change id no number req request the ticket")
_DECISION_WORDS: Final = word_set(
    """
    accept allow approve approved confirm decline declined denied deny grant lgtm refuse
    reject rejected veto
    """
)
NOT_NAMES: Final = (
    lexicon.NON_TARGET_WORDS
    | lexicon.COMMON_WORDS
    | lexicon.CUE_WORDS
    | lexicon.ANOMALY_WORDS
    | lexicon.TARGET_KIND_WORDS
    | lexicon.ENVIRONMENT_WORDS
    | lexicon.BOT_NAMES
    | {"'s", "alertname", "runbook", "playbook", "promql", "query", "x", "forecast", "history"}
)
_AUXILIARIES: Final = word_set("did does has was will")
_GIVEN_TO: Final = REPLICA_WORDS | word_set("runbook playbook script fix hotfix patch")
_COPULAS: Final = word_set("is was keeps kept seems seemed looks")
_NEEDS: Final = word_set("needs need requires require should must could")
_SEEMS: Final = word_set("looks look seems seem feels")
#: The nouns that ask for anomalies, beside which a bare name is what to look at
#: ("anomalies payments 24h", "payments anomalies"): fewer than ``lexicon.ANOMALY_WORDS``,
#: whose adjectives ("weird payments") do not ask for a scan of a name beside them.
_ANOMALY_ASKS: Final = word_set("anomaly anomalies outliers")
_TIME_LEADS: Final = word_set("last past over in for during the")
#: What an anomaly word names as a thing to do, not a system ("an anomaly report").
_ANOMALY_NOUNS: Final = word_set(
    "report reports scan scans check checks detection summary list overview digest results"
)
_STATE_FILLER: Final = word_set("still now right again yet at the moment all so currently today")
KIND_TARGETS: Final = word_set("api frontend backend database db worker")
"""Kind nouns that are also common service names: a target only where nothing better is
("latency for the frontend", "cpu of the api"), never over a real name next to them."""
_TIMES: Final = re.compile(r"x(\d{1,4})", re.IGNORECASE)
_COMPARING: Final = word_set("compare compared comparing comparison vs versus against")
_CONNECTORS: Final = word_set("and vs versus with against to &")

Extractor = Callable[[Analysis], dict[str, SlotValue]]


def extract_slots(intent: str, analysis: Analysis) -> dict[str, SlotValue]:
    """The slots of ``intent`` that ``analysis`` gives (``promql``'s ``expr`` is not here)."""
    extractor = _EXTRACTORS.get(intent)
    return extractor(analysis) if extractor else {}


def find_target(a: Analysis, exclude: Collection[int] = ()) -> tuple[int, str] | None:
    """The most likely target (index, name): after a verb > by shape > by context; earliest."""
    best: tuple[int, int] | None = None
    for i, score in enumerate(_target_scores(a)):
        if score and (best is None or score > best[0]) and i not in exclude:
            best = (score, i)
    return None if best is None else (best[1], a.tokens[best[1]].raw)


def find_alertname(a: Analysis) -> tuple[int, str] | None:
    """An alert name: CamelCase (``NodeDown``), quoted, or named next to the word "alert"."""
    for i, token in enumerate(a.tokens):
        if _free(a, i) and token.is_plain_name and (is_camel(token) or token.quoted):
            return i, token.raw
    for i, token in enumerate(a.tokens):
        if not (_free(a, i) and token.is_plain_name and token.lower not in NOT_NAMES):
            continue
        if a.word(i - 1) in ("alert", "alertname") or (
            a.word(i + 1) == "alert" and not is_hostlike(token)
        ):
            return i, token.raw
    for i, token in enumerate(a.tokens):
        # "silence Watchdog": one capitalised word, as alert names are written; hosts and
        # services are written in lower case
        raw = token.raw
        capitalised = len(raw) >= 4 and raw[0].isupper() and raw[1:].islower() and raw.isalpha()
        if capitalised and _free(a, i) and a.word(i - 1) in _SILENCE_VERBS:
            return i, raw
    return None


_SILENCE_VERBS: Final = word_set("silence mute snooze unsilence unmute unsnooze")


def find_replicas(a: Analysis) -> int | None:
    """A replica count: "to 3", "3 replicas", "x3", or the only number in the message."""
    numbers = [s for s in a.of_kind("number") if isinstance(s.value, int)]
    for s in numbers:
        if a.word(s.start - 1) in ("to", "x", "at"):
            return int(s.value)
    # "from 3 replicas to 6": the count it has now is never the count asked for
    numbers = [s for s in numbers if a.word(s.start - 1) != "from"]
    for s in numbers:
        if a.word(s.start + 1) in REPLICA_WORDS:
            return int(s.value)
    for token in a.tokens:
        if (match := _TIMES.fullmatch(token.raw)) is not None:
            return int(match.group(1))
    return int(numbers[0].value) if len(numbers) == 1 else None


def find_action(a: Analysis) -> tuple[str, int | None] | None:
    """The remediation action and, for a custom one, the index of its name."""
    custom = _custom_action(a)
    if custom is not None:
        return custom
    span = a.first("action")
    if span is not None:
        return str(span.value), None
    return None


def find_request_id(a: Analysis) -> str | None:
    """The request id of an approve/deny: the id after the verb ("approve request #12"), else
    the first number-like word in the message."""
    for i, token in enumerate(a.tokens):
        if not _id_like(token):
            continue
        j = i - 1
        while j >= 0 and a.tokens[j].norm in _REQUEST_NOUNS:
            j -= 1
        if j >= 0 and a.tokens[j].norm in _DECISION_WORDS:
            return token.raw
    return next((t.raw for t in a.tokens if _id_like(t) and (t.hashed or t.raw.isdigit())), None)


def find_topic(a: Analysis) -> str | None:
    """The help topic named anywhere in the message ("help with silences" -> silence)."""
    words = a.words
    for i in range(len(words)):
        for size in (2, 1):
            phrase = tuple(words[i : i + size])
            if len(phrase) == size and phrase in lexicon.HELP_TOPICS:
                return lexicon.HELP_TOPICS[phrase]
    return None


def first_value(a: Analysis, kind: str) -> SlotValue | None:
    span = a.first(kind)
    return None if span is None else span.value


# --------------------------------------------------------------------------- per intent


def _metric_slots(a: Analysis) -> dict[str, SlotValue]:
    quantile = find_quantile(a)
    metric = first_value(a, "metric") or ("latency" if quantile is not None else None)
    targets = find_targets(a)
    slots = _present(
        metric=metric,
        target=None if targets else _target(a),
        targets=targets,
        quantile=quantile if metric == "latency" else None,
    )
    return {**slots, **time_slots(a)}


def _anomaly_slots(a: Analysis) -> dict[str, SlotValue]:
    slots = _present(metric=first_value(a, "metric"), target=_target(a))
    return {**slots, **time_slots(a)}


def time_slots(a: Analysis) -> dict[str, SlotValue]:
    """``range`` (a look-back) or ``start``/``end`` (an absolute window; no ``end`` means up
    to now) from the message's first time phrase."""
    window = a.first("window")
    if window is not None and window.time is not None and window.time.begin is not None:
        finish = window.time.finish
        out: dict[str, SlotValue] = {"start": window.time.begin}
        if finish is not None and finish < a.clock.now:
            out["end"] = finish
        return out
    duration = first_value(a, "duration")
    return {"range": duration} if duration is not None else {}


def find_quantile(a: Analysis) -> float | None:
    """The latency quantile asked for: p50/p90/p95/p99/p999, median, "99th percentile"."""
    span = a.first("quantile")
    return None if span is None else float(span.value)


def find_targets(a: Analysis) -> tuple[str, ...] | None:
    """Two or more targets compared: "compare cpu of web-1 and web-2", "web-1 vs web-2",
    "cpu of web-1, web-2 and web-3". Without a comparing word ("compare", "vs") only names
    that can only be hosts count ("payments and checkout" may be one service's words)."""
    chain: list[int] = []
    for i, score in enumerate(_target_scores(a)):
        if score < 2:
            continue
        run = [i]
        while (nxt := _joined_name(a, run[-1])) is not None:
            run.append(nxt)
        if len(run) > len(chain):
            chain = run
    if len(chain) < 2:
        return None
    compared = bool(set(a.words) & _COMPARING)
    if not compared and not all(is_hostlike(a.tokens[i]) for i in chain):
        return None
    return tuple(dict.fromkeys(a.tokens[i].raw for i in chain))


def _joined_name(a: Analysis, i: int) -> int | None:
    """The name joined to the name at ``i`` by "and"/"vs"/"with" or a comma, if any."""
    j = i + 1
    if a.tokens[i].stop != "," and a.word(j) not in _CONNECTORS:
        return None
    if a.word(j) in _CONNECTORS:
        j += 1
    if j >= len(a.tokens) or not _free(a, j):
        return None
    token = a.tokens[j]
    if not token.is_plain_name or (token.lower in NOT_NAMES and not is_hostlike(token)):
        return None
    return j


def _status_slots(a: Analysis) -> dict[str, SlotValue]:
    return _present(target=_target(a))


def _silences_slots(a: Analysis) -> dict[str, SlotValue]:
    alert = find_alertname(a)
    target = find_target(a, {alert[0]} if alert else set())
    return _present(alertname=alert[1] if alert else None, target=target[1] if target else None)


def _history_slots(a: Analysis) -> dict[str, SlotValue]:
    found = a.first("action")
    return {
        **_present(target=_target(a), action=str(found.value) if found else None),
        **time_slots(a),
    }


def _severity_slots(a: Analysis) -> dict[str, SlotValue]:
    return _present(severity=first_value(a, "severity"), target=_target(a))


def _silence_slots(a: Analysis) -> dict[str, SlotValue]:
    alert = find_alertname(a)
    exclude = {alert[0]} if alert else set()
    target = find_target(a, exclude)
    duration = first_value(a, "duration") or _until_seconds(a)
    if target is not None and duration is None and _a_length_in_words(a, target[0]):
        target = None  # "for ages", "for maintenance": no length; nothing to silence it on
    return _present(
        alertname=alert[1] if alert else None,
        target=target[1] if target else None,
        duration=duration,
    )


def _a_length_in_words(a: Analysis, i: int) -> bool:
    """Whether the name at ``i`` stands where a silence's length goes ("silence X for
    ages") without the shape of a host: the length was meant, and is not one."""
    j, word = _previous_word(a, i)
    return word == "for" and a.word(j - 1) not in _ALERT_NOUNS and not is_hostlike(a.tokens[i])


_ALERT_NOUNS: Final = word_set("alert alerts alarm alarms page pages notifications everything")
"""Before "for X", these make X what is silenced ("silence alerts for payments")."""


def _until_seconds(a: Analysis) -> int | None:
    """How long a silence "until 5pm" or "till tomorrow" lasts from now, in whole minutes
    (rounded up, so it never ends before the time named)."""
    span = a.first("until")
    if span is None or span.time is None or span.time.finish is None:
        return None
    seconds = span.time.finish - a.clock.now
    return max(60, -(-int(seconds) // 60) * 60)


def _remediation_slots(a: Analysis) -> dict[str, SlotValue]:
    found = find_action(a)
    replicas = find_replicas(a)
    words = set(a.words)
    if found is None and replicas is None and words & _SCALE_WORDS:
        found = ("scale", None)
    elif found is None and words & _EARLIER and words & _RELEASES:
        found = ("rollback", None)
    action = found[0] if found else ("scale" if replicas is not None else None)
    exclude = {found[1]} if found and found[1] is not None else set()
    target = find_target(a, exclude)
    return _present(
        action=action,
        target=target[1] if target else None,
        replicas=replicas if action == "scale" else None,
    )


def _decision_slots(a: Analysis) -> dict[str, SlotValue]:
    return _present(request_id=find_request_id(a))


def _help_slots(a: Analysis) -> dict[str, SlotValue]:
    return _present(topic=find_topic(a))


def _promql_slots(a: Analysis) -> dict[str, SlotValue]:
    return time_slots(a)


_EXTRACTORS: dict[str, Extractor] = {
    "metric_query": _metric_slots,
    "anomaly_query": _anomaly_slots,
    "status": _status_slots,
    "health": _status_slots,
    "silences": _silences_slots,
    "history": _history_slots,
    "alerts_list": _severity_slots,
    "subscribe": _severity_slots,
    "unsubscribe": _severity_slots,
    "alert_silence": _silence_slots,
    "remediation": _remediation_slots,
    "approve": _decision_slots,
    "deny": _decision_slots,
    "help": _help_slots,
    "promql": _promql_slots,
}


# --------------------------------------------------------------------------- helpers


def _present(**slots: SlotValue | None) -> dict[str, SlotValue]:
    return {name: value for name, value in slots.items() if value is not None}


def _target(a: Analysis) -> str | None:
    found = find_target(a)
    return found[1] if found else None


def _free(a: Analysis, i: int) -> bool:
    return a.span_at(i) is None


def names_a_subject(a: Analysis) -> bool:
    """Whether a plain name stands where only a target would ("is payments ok", "how is
    search doing", "did checkout-api crash"), not merely after a preposition ("capital of
    France"): the scope check counts that as talking about a system."""
    scores = _target_scores(a)
    return any(s >= 2 and _previous_word(a, i)[1] not in PREPOSITIONS for i, s in enumerate(scores))


def in_target_place(a: Analysis, i: int) -> bool:
    """Whether word ``i`` stands where a target would, whatever it is written with: after a
    verb that takes one, a preposition, next to a metric, ..."""
    return _after_verb(a, i) or _in_target_position(a, i)


def _target_scores(a: Analysis) -> tuple[int, ...]:
    """How much each word looks like a target: 0 not at all, 1 a kind word in a target's
    place, 2 a name in a target's place, 3 host-like, 4 after a verb taking one."""
    scores = a.memo.get("target")
    if scores is None:
        scores = a.memo["target"] = tuple(_score_target(a, i, t) for i, t in enumerate(a.tokens))
    return scores


def _score_target(a: Analysis, i: int, token: Token) -> int:
    if not _free(a, i) or not token.is_plain_name or token.lower in lexicon.BOT_NAMES:
        return 0
    if token.lower in KIND_TARGETS and token.norm == token.lower:
        return 1 if _after_verb(a, i) or _in_target_position(a, i) else 0
    hostlike = is_hostlike(token)
    if not hostlike and (token.lower in NOT_NAMES or token.norm != token.lower):
        return 0
    if _after_verb(a, i):
        return 4
    if hostlike:
        return 3
    return 2 if _in_target_position(a, i) else 0


def _previous_word(a: Analysis, i: int) -> tuple[int, str | None]:
    j = i - 1
    while j >= 0 and a.tokens[j].norm in DETERMINERS:
        j -= 1
    return j, a.word(j)


def _after_verb(a: Analysis, i: int) -> bool:
    j, word = _previous_word(a, i)
    span = a.span_at(j) if j >= 0 else None
    return word in TARGET_VERBS or (span is not None and span.kind == "action")


def _in_target_position(a: Analysis, i: int) -> bool:
    j, before = _previous_word(a, i)
    after = a.word(i + 1) or ""
    if before in PREPOSITIONS:
        return True
    if a.tokens[i].lower.endswith("ing"):
        return False
    if after in _NEXT_TARGET_CUES or _next_to(a, i + 1, "action"):
        return True
    if after in _COPULAS and _state_or_doing(a, i + 2):
        return True
    if after in _NEEDS and any(_next_to(a, k, "action") for k in range(i + 2, i + 5)):
        return True
    if before == "to" and _next_to(a, j - 1, "metric"):
        return True
    if before == "to" and a.word(j - 1) in _GIVEN_TO:
        return True
    if before in ("is", "are", "was") and (after in STATE_WORDS or after.endswith("ing")):
        return True
    if before in ("is", "are", "was") and (_next_to(a, j - 1, "metric") or a.word(j - 2) == "how"):
        return True
    if j < 0 and _state_follows(a, i + 1):
        return True
    if before in _AUXILIARIES and a.word(i + 1) not in PREPOSITIONS:
        return True
    if before == "is" and a.word(j - 1) == "how":
        return True
    if _beside_anomalies(a, i, before):
        return True
    return _next_to(a, i - 1, "metric") or _next_to(a, i + 1, "metric")


def _beside_anomalies(a: Analysis, i: int, before: str | None) -> bool:
    """A name right after an anomaly word with nothing but a time after it ("anomalies
    payments", "anomaly payments 2h"), or opening the message before one ("payments
    anomalies last 24h"). Only there: "anomalies outside business hours" names nothing."""
    if a.tokens[i].lower in _ANOMALY_NOUNS:
        return False
    if before in _ANOMALY_ASKS:
        return _ends_or_time(a, i + 1)
    return i == 0 and a.word(1) in _ANOMALY_ASKS and _ends_or_time(a, 2)


def _ends_or_time(a: Analysis, i: int) -> bool:
    while a.word(i) in _TIME_LEADS:
        i += 1
    return a.word(i) is None or _next_to(a, i, "duration") or _next_to(a, i, "window")


def _state_or_doing(a: Analysis, i: int) -> bool:
    """A state, an -ing verb or a metric at ``i``: "payments is down", "payments is throwing
    500s", "search was slow"."""
    word = a.word(i) or ""
    return word in STATE_WORDS or word.endswith("ing") or _next_to(a, i, "metric")


def _state_follows(a: Analysis, i: int) -> bool:
    """Whether the words from ``i`` on are only a state ("ok?", "seems down", "still up
    right now"): the shape of "payments ok?" where the first word is the target."""
    rest = [w for w in a.words[i:] if w not in _STATE_FILLER]
    if rest[:1] and rest[0] in _SEEMS:
        rest = rest[1:]
    return len(rest) == 1 and rest[0] in STATE_WORDS


def _next_to(a: Analysis, index: int, kind: str) -> bool:
    span: Span | None = a.span_at(index) if 0 <= index < len(a.tokens) else None
    return span is not None and span.kind == kind


def _custom_action(a: Analysis) -> tuple[str, int | None] | None:
    """A custom action after a run-like verb: "run flush-cache", "run runbook flush-cache",
    "apply the hotfix runbook"."""
    for i, word in enumerate(a.words):
        if word not in CUSTOM_ACTION_VERBS:
            continue
        j = i + 1
        keyword = False
        while j < len(a.tokens) and a.tokens[j].norm in _ACTION_NOUNS:
            keyword = keyword or a.tokens[j].norm not in DETERMINERS
            j += 1
        if j >= len(a.tokens):
            continue
        span = a.span_at(j)
        if span is not None:
            if span.kind == "action":
                return str(span.value), None
            continue
        token = a.tokens[j]
        named = keyword or a.word(j + 1) in (_ACTION_NOUNS - DETERMINERS)
        if _custom_name(token, named, a.word(j + 1)):
            return token.raw.lower(), j
    return None


def _custom_name(token: Token, keyword: bool, after: str | None) -> bool:
    if not token.is_plain_name or token.lower in NOT_NAMES or token.lower[0].isdigit():
        return False
    shaped = any(c in token.raw for c in "-_") and not any(c.isdigit() for c in token.raw)
    return keyword or shaped or after in ("on", "for", "against", "in")


def _id_like(token: Token) -> bool:
    return token.is_plain_name and (token.hashed or any(c.isdigit() for c in token.raw))
