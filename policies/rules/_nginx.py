"""A small reader of nginx configuration text, for rules that judge the nginx.conf a container receives.

nginx's grammar as its own parser reads it (``ngx_conf_file.c``): a directive is words up to ``;`` or up to a block in
``{ ... }``; words are separated by whitespace; ``"..."`` and ``'...'`` quote a word (a backslash escapes the next
character); ``#`` starts a comment to the end of the line, outside quotes. ``if (...)`` keeps its condition as words
without the parentheses, and backslash escapes stay as written (nginx undoes only ``\"``, ``\'`` and ``\\``), as
crossplane shows them. The rules need nothing else (no includes: the file is judged alone),
and never import an nginx tool, since the policy pack runs with the policy SDK only.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field


class NginxSyntaxError(ValueError):
    """The text is not a configuration nginx would load."""


@dataclass(frozen=True)
class Directive:
    name: str
    args: tuple[str, ...]
    block: tuple[Directive, ...] | None = field(default=None)

    def find(self, name: str) -> list[Directive]:
        """The directives ``name`` directly in this one's block."""
        return find(self.block or (), name)


def find(directives: Sequence[Directive], name: str) -> list[Directive]:
    return [d for d in directives if d.name == name]


def _tokens(text: str) -> Iterator[str | None]:
    """Words, and ``;`` ``{`` ``}`` as themselves; a quoted word is yielded with its quotes removed. ``None`` marks
    the end."""
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char.isspace():
            i += 1
        elif char == "#":
            while i < n and text[i] != "\n":
                i += 1
        elif char in ";{}":
            yield char
            i += 1
        elif char in "\"'":
            quote, i, word = char, i + 1, []
            while i < n and text[i] != quote:
                if text[i] == "\\" and i + 1 < n:  # an escaped quote is the quote; other escapes stay as written
                    word.append(quote if text[i + 1] == quote else text[i : i + 2])
                    i += 2
                    continue
                word.append(text[i])
                i += 1
            if i >= n:
                raise NginxSyntaxError("a quoted word is never closed")
            i += 1
            yield "".join(word) or '""'
        else:
            start = i
            while i < n and not text[i].isspace() and text[i] not in ";{}\"'":
                i += 2 if text[i] == "\\" else 1
            yield text[start:i]
    yield None


def parse(text: str) -> tuple[Directive, ...]:
    """The directives of ``text``, blocks nested. Raises NginxSyntaxError."""
    tokens = _tokens(text)

    def block(closing: bool) -> tuple[Directive, ...]:
        found: list[Directive] = []
        words: list[str] = []
        for token in tokens:
            if token is None:
                if closing or words:
                    raise NginxSyntaxError("the text ends inside a directive or a block")
                return tuple(found)
            if token == ";":
                if not words:
                    raise NginxSyntaxError("an empty directive")
                found.append(Directive(words[0], _args(words)))
                words = []
            elif token == "{":
                if not words:
                    raise NginxSyntaxError("a block without a directive")
                found.append(Directive(words[0], _args(words), block(True)))
                words = []
            elif token == "}":
                if not closing or words:
                    raise NginxSyntaxError("an unexpected }")
                return tuple(found)
            else:
                words.append("" if token == '""' else token)
        raise NginxSyntaxError("the text ends inside a block")  # pragma: no cover - the generator always ends on None

    return block(False)


def _args(words: list[str]) -> tuple[str, ...]:
    args = words[1:]
    if words[0] == "if" and args:
        args = (
            [args[0].removeprefix("("), *args[1:-1], args[-1].removesuffix(")")]
            if len(args) > 1
            else [args[0].removeprefix("(").removesuffix(")")]
        )
        args = [a for a in args if a]
    return tuple(args)
