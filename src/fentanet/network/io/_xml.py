"""A small XML reader with line numbers, and escaping for the XML writers.

Elements are parsed with expat into :class:`Element` objects that know the line where
they start, so errors in GraphML and GEXF files can name it. Namespaces are dropped from
tag and attribute names. Entity declarations (the vector of "billion laughs" attacks)
are refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

from fentanet.errors import InputError


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    line: int
    children: list[Element] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def find(self, tag: str) -> Element | None:
        return next((c for c in self.children if c.tag == tag), None)

    def findall(self, tag: str) -> list[Element]:
        return [c for c in self.children if c.tag == tag]


def _local(name: str) -> str:
    return name.rsplit(" ", 1)[-1]


def parse(raw: bytes, path: Path | str | None) -> Element:
    """The root element of an XML document; malformed XML raises with its line.

    ``raw`` is UTF-8 (the readers pass it through ``_text.load``, which checks it and
    converts UTF-16), so the encoding named in the XML declaration is overridden: a
    UTF-16 file reads once converted, and an unknown name cannot make expat fail.
    """
    parser = expat.ParserCreate(encoding="UTF-8", namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    root: list[Element] = []
    stack: list[Element] = []

    def start(name, attrs):
        el = Element(_local(name), {_local(k): v for k, v in attrs.items()},
                     parser.CurrentLineNumber)
        if stack:
            stack[-1].children.append(el)
        else:
            root.append(el)
        stack.append(el)

    def end(name):
        stack.pop()

    def chars(data):
        if stack:
            stack[-1].parts.append(data)

    def entity(*args):
        raise InputError("XML entity declarations are not allowed", file=path,
                         line=parser.CurrentLineNumber)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.EntityDeclHandler = entity
    try:
        parser.Parse(raw, True)
    except expat.ExpatError as exc:
        raise InputError(f"not well-formed XML ({expat.ErrorString(exc.code)})", file=path,
                         line=exc.lineno) from None
    if not root:
        raise InputError("no XML element", file=path)
    return root[0]


_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\r": "&#13;",
            "\n": "&#10;", "\t": "&#9;"}
_SPECIAL = re.compile('[&<>"\r\n\t]')


def escape(text: str, *, what: str = "a value", field: str | None = None) -> str:
    """Text escaped for XML content and attributes; control characters raise."""
    bad = _INVALID.search(text)
    if bad:
        raise InputError(f"{what} {text[:40]!r} holds the control character "
                         f"{bad.group(0)!r}, which XML cannot hold", field=field)
    return _SPECIAL.sub(lambda m: _ESCAPES[m.group(0)], text)


_PROLOG = re.compile(r"\s*(?:<\?.*?\?>\s*|<!--.*?-->\s*|<!DOCTYPE[^>]*>\s*)*<([\w:.-]+)",
                     re.DOTALL)


def root_tag(head: str) -> str | None:
    """The local name of the first element of an XML text (after the prolog), if any."""
    m = _PROLOG.match(head)
    return m.group(1).rsplit(":", 1)[-1].lower() if m else None
