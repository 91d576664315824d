"""Mark the words searched for in what a hit shows, in Python: only the page of hits shown is
marked (ts_headline would reparse every matching row's text in the database), and every
piece of the user's text is escaped before the marks go in.
"""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

EXCERPT = 160
_WORD = re.compile(r"\w+")


def _marked_spans(text: str, words: list[str]) -> list[tuple[int, int]]:
    """Where the words of `text` start with a word searched for (full-text search matches
    each word as a prefix, so the page marks the same words the database found)."""
    return [
        match.span()
        for match in _WORD.finditer(text)
        if any(match.group().lower().startswith(word) for word in words)
    ]


def excerpt(text: str, words: list[str], width: int = EXCERPT) -> str:
    """`text` cut to about `width` characters around its first word searched for."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    spans = _marked_spans(text, words)
    first = spans[0][0] if spans else 0
    start = max(0, min(first - width // 4, len(text) - width))
    # Cut on spaces, so no word is shown in part.
    if start > 0:
        start = text.find(" ", start) + 1 or start
    end = start + width
    if end < len(text):
        end = text.rfind(" ", start, end) if " " in text[start:end] else end
    return ("…" if start > 0 else "") + text[start:end].strip() + ("…" if end < len(text) else "")


def highlight(text: str, words: list[str]) -> SafeString:
    """`text` escaped, with each word searched for wrapped in <mark>."""
    pieces: list[str] = []
    position = 0
    for start, end in _marked_spans(text, words):
        pieces.append(escape(text[position:start]))
        pieces.append(f"<mark>{escape(text[start:end])}</mark>")
        position = end
    pieces.append(escape(text[position:]))
    # Safe: every piece of the text is escaped above.
    return mark_safe("".join(pieces))
