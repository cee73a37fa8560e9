"""Raw PromQL in a message: ``promql <expr>``, an expression in backticks, or a message that
is nothing but an expression.

The expression is returned exactly as written (surrounding backticks or a code fence
removed), because PromQL is whitespace- and case-sensitive and the user's text is the query.
A trailing look-back ("over the last 2h", "2h") is split off as the range, except after
``offset`` or ``@`` where it belongs to the expression.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from intents.analysis import analyse
from intents.rejected import find_unreadable_range

_KEYWORD = re.compile(
    r"^(?:(?:please|pls|can you|could you|now)\s+)?"
    r"(?:(?:run|execute|exec|eval|evaluate|try|query)\s+)?(?:the\s+|this\s+|a\s+)?"
    r"/?(?:promql|pql|prom(?=\s*:))(?:\s+(?:query|expression|expr))?\s*:?(?=\s|$)",
    re.IGNORECASE,
)
_QUERY_WORD = re.compile(
    r"^(?:(?:please|pls|kindly|can you|could you)\s+)?(?:run|execute|exec|eval|evaluate|query)"
    r"(?:\s+(?:the|this|that|a))?(?:\s+following)?"
    r"(?:\s+(?:promql|prometheus|prom|query|expression|expr))*\s*:?\s+",
    re.IGNORECASE,
)
_FENCE = re.compile(r"```(?:promql)?\s*(.+?)\s*```|`([^`]+)`", re.DOTALL | re.IGNORECASE)
_DURATION = r"\d+(?:\.\d+)?\s*(?:[smhdw]|mins?|minutes?|hrs?|hours?|days?|weeks?)\b"
_TRAILING_RANGE = re.compile(
    rf"\s+(?:(?:over|for|during|in|across|from)\s+)?(?:the\s+)?(?:(?:last|past|previous)\s+)?"
    rf"(?P<span>{_DURATION}|(?<=last )(?:hour|day|week)|(?<=past )(?:hour|day|week))\s*[?.!]?$",
    re.IGNORECASE,
)
_FUNCTIONS = (
    "abs|absent|absent_over_time|avg|avg_over_time|bottomk|ceil|changes|clamp|clamp_max"
    "|clamp_min|count|count_over_time|count_values|delta|deriv|exp|floor|group"
    "|histogram_quantile|holt_winters|idelta|increase|irate|label_join|label_replace"
    "|last_over_time|ln|log10|log2|max|max_over_time|min|min_over_time|predict_linear"
    "|present_over_time|quantile|quantile_over_time|rate|resets|round|scalar|sort|sort_desc"
    "|sqrt|stddev|stddev_over_time|stdvar|stdvar_over_time|sum|sum_over_time|time|timestamp"
    "|topk|vector"
)
# PromQL and not English: a selector ``x{...}``, a range ``x[5m]``, a PromQL function or
# aggregation call, or an exported metric name (``node_memory_MemAvailable_bytes``).
# "latency (checkout-api, 1h)" is a word before a parenthesis, not a query.
_SYNTAX = re.compile(
    r"[A-Za-z_:][A-Za-z0-9_:]*\s*(?:\{|\[\d+[smhdwy]\])"
    rf"|\b(?:{_FUNCTIONS})\s*\("
    r"|\b(?:sum|avg|min|max|count|group|topk|bottomk|quantile|stddev|stdvar)\s+"
    r"(?:by|without)\s*\("
    r"|\b[A-Za-z_:][A-Za-z0-9_:]*_[A-Za-z0-9_:]*\s*\("
    r"|\b[A-Za-z_:][A-Za-z0-9_:]*_(?:total|seconds|bytes|count|sum|bucket|info|ratio)\b"
)
_WORDS_ONLY = re.compile(r"[A-Za-z\s'?,.!-]*")
_QUERY_CUES = re.compile(
    r"\b(?:promql|prom|query|run|execute|exec|eval|evaluate|expression)\b", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class PromqlRequest:
    """A raw query: the expression (absent when the user only asked to run "a query") and
    the look-back in seconds when one was given. ``rejected_range`` is a look-back the user
    gave that is no usable one ("promql up 0s"), as written."""

    expr: str | None
    range: int | None
    rejected_range: str | None = None


def find_promql(text: str) -> PromqlRequest | None:
    """The raw PromQL request in clean ``text``, or ``None`` when the message is not one."""
    stripped = text.strip()
    fenced = _FENCE.search(stripped)
    keyword = _KEYWORD.match(stripped)
    if keyword is not None:
        rest = stripped[keyword.end() :].strip()
        if fenced is not None:
            return _from_fence(stripped, fenced)
        return _split_range(rest) if rest else PromqlRequest(None, None)
    if fenced is not None and _fence_is_query(stripped, fenced):
        return _from_fence(stripped, fenced)
    query = _QUERY_WORD.match(stripped)
    if query is not None and _SYNTAX.search(stripped[query.end() :]):
        return _split_range(stripped[query.end() :].strip())
    if _SYNTAX.match(stripped) and not _WORDS_ONLY.fullmatch(stripped):
        return _split_range(stripped)
    return None


def _from_fence(text: str, fenced: re.Match[str]) -> PromqlRequest:
    expr = (fenced.group(1) or fenced.group(2) or "").strip()
    outside = (text[: fenced.start()] + " " + text[fenced.end() :]).strip()
    read = analyse(outside) if outside else None
    duration = read.first("duration") if read is not None else None
    if duration is not None:
        return PromqlRequest(expr or None, int(duration.value))
    rejected = find_unreadable_range(read) if read is not None else None
    return PromqlRequest(expr or None, None, rejected)


def _fence_is_query(text: str, fenced: re.Match[str]) -> bool:
    outside = (text[: fenced.start()] + text[fenced.end() :]).strip(" ?.!:").lower()
    if not outside:
        return True
    return _QUERY_CUES.search(outside) is not None


def _split_range(rest: str) -> PromqlRequest:
    expr = rest
    seconds: int | None = None
    rejected: str | None = None
    trailing = _TRAILING_RANGE.search(rest)
    if trailing is not None and trailing.start() > 0:
        before = rest[: trailing.start()].rstrip()
        if not re.search(r"(?:\boffset|@)$", before, re.IGNORECASE):
            duration = analyse(trailing.group(0).strip(" ?.!").lower()).first("duration")
            if duration is not None:
                expr, seconds = before, int(duration.value)
            else:
                expr, rejected = before, trailing.group("span")
    expr = _unwrap(expr)
    return PromqlRequest(expr or None, seconds, rejected)


def _unwrap(expr: str) -> str:
    expr = expr.strip()
    fenced = _FENCE.fullmatch(expr)
    if fenced is not None:
        return (fenced.group(1) or fenced.group(2) or "").strip()
    return expr
