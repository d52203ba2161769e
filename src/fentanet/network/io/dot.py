"""Graphviz DOT (``.dot``, ``.gv``), read only: the graph language's structural subset.

Read: ``[strict] graph|digraph [name] { ... }`` with node statements ``a [k=v, ...]``,
edge chains ``a -- b -- c [k=v]`` (``->`` in a digraph), subgraphs and bare ``{ a b }``
groups as edge ends (every pair of the two ends is linked), default attributes
``node [...]`` and ``edge [...]`` (scoped to their subgraph), graph attributes
``graph [...]`` and ``k = v``, ports (ignored), quoted strings with ``\\"`` escapes and
``+`` concatenation, HTML strings ``<...>``, and ``//``, ``/* */`` and ``#`` comments.
Layout is ignored; no file is ever laid out or rendered.

Node attributes become actor columns and edge attributes link columns, their types
inferred (integers, decimal numbers, ``true``/``false``, else text; ``kind``, ``mode``
and ``organization``, which names an actor, are always text); ``kind`` and ``weight``
are the model's. Actor ids are the DOT node ids, except that when every node
has a distinct ``name`` attribute (as igraph writes DOT: nodes 0..n-1 with
``name=...``), the names are the ids; ``ids="node"`` keeps the node ids and
``ids="<attribute>"`` takes another attribute. A ``strict`` graph keeps one link per
pair (its attributes merged, the last value winning). Graph attributes go to
``net.meta["graph"]``.

There is no DOT writer: use GraphML or GEXF to hand a network to a drawing tool.
"""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from fentanet.errors import InputError
from fentanet.network.io import register
from fentanet.network.io._text import TEXT_COLUMNS, convert_column, infer_kind, load
from fentanet.network.model import Network, Origin

MAX_DEPTH = 64

_TOKENS = re.compile(r"""
    (?P<ws>[ \t\r\f\v]+|\n)
  | (?P<lcomment>//[^\n]*)
  | (?P<bcomment>/\*.*?\*/)
  | (?P<string>"(?:[^"\\]|\\.|\\\n)*")
  | (?P<edge>--|->)
  | (?P<punct>[{}\[\];,=:+])
  | (?P<number>-?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?))
  | (?P<id>[A-Za-z_\u0080-\U0010ffff][A-Za-z_0-9\u0080-\U0010ffff]*)
  | (?P<html><)
""", re.VERBOSE | re.DOTALL)


class _Tok:
    __slots__ = ("kind", "line", "text")

    def __init__(self, kind: str, text: str, line: int) -> None:
        self.kind, self.text, self.line = kind, text, line

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"{self.kind}:{self.text!r}@{self.line}"


def _tokenize(text: str, file) -> list[_Tok]:
    out: list[_Tok] = []
    pos, line, n = 0, 1, len(text)
    while pos < n:
        if text[pos] == "#" and (pos == 0 or text[pos - 1] == "\n"):
            end = text.find("\n", pos)  # a C preprocessor output line
            pos = n if end < 0 else end
            continue
        m = _TOKENS.match(text, pos)
        if m is None:
            if text[pos] == '"' or text.startswith("/*", pos):
                raise InputError("unclosed string or comment in DOT", file=file, line=line)
            raise InputError(f"unexpected character {text[pos]!r} in DOT", file=file,
                             line=line)
        kind = m.lastgroup
        chunk = m.group(0)
        if kind == "html":
            end, depth = pos, 0
            while end < n:
                if text[end] == "<":
                    depth += 1
                elif text[end] == ">":
                    depth -= 1
                    if depth == 0:
                        break
                end += 1
            if end >= n:
                raise InputError("unclosed HTML string '<...>'", file=file, line=line)
            chunk = text[pos:end + 1]
            out.append(_Tok("id", chunk[1:-1], line))
            line += chunk.count("\n")
            pos = end + 1
            continue
        if kind == "string":
            body = chunk[1:-1].replace("\\\n", "").replace('\\"', '"')
            out.append(_Tok("id", body, line))
        elif kind in ("number", "id"):
            out.append(_Tok("id", chunk, line))
        elif kind in ("edge", "punct"):
            out.append(_Tok(chunk, chunk, line))
        line += chunk.count("\n")
        pos = m.end()
    return out


class _Parser:
    def __init__(self, toks: list[_Tok], file) -> None:
        self.toks, self.pos, self.file = toks, 0, file
        self.nodes: dict[str, dict[str, str]] = {}
        self.node_lines: dict[str, int] = {}
        self.edges: list[tuple[str, str, dict[str, str], dict[str, str], int]] = []
        self.graph_attrs: dict[str, str] = {}
        self.directed = False
        self.strict = False
        self.name = ""

    # ------------------------------------------------------------- token helpers
    def peek(self, k: int = 0) -> _Tok | None:
        i = self.pos + k
        return self.toks[i] if i < len(self.toks) else None

    def at(self, *kinds: str) -> bool:
        """Whether the next token is of one of these kinds."""
        tok = self.peek()
        return tok is not None and tok.kind in kinds

    def error(self, message: str, tok: _Tok | None = None) -> InputError:
        tok = tok or self.peek() or (self.toks[-1] if self.toks else None)
        return InputError(message, file=self.file, line=tok.line if tok else None)

    def next(self) -> _Tok:
        tok = self.peek()
        if tok is None:
            raise self.error("the DOT text ends early (missing '}'?)")
        self.pos += 1
        return tok

    def expect(self, kind: str) -> _Tok:
        tok = self.next()
        if tok.kind != kind:
            raise self.error(f"expected '{kind}', got '{tok.text[:30]}'", tok)
        return tok

    def ident(self) -> str:
        tok = self.next()
        if tok.kind != "id":
            raise self.error(f"expected a name, got '{tok.text[:30]}'", tok)
        text = tok.text
        while self.at("+"):
            self.next()
            nxt = self.next()
            if nxt.kind != "id":
                raise self.error("expected a string after '+'", nxt)
            text += nxt.text
        return text

    # ------------------------------------------------------------- grammar
    def graph(self) -> None:
        tok = self.next()
        if tok.kind == "id" and tok.text.lower() == "strict":
            self.strict = True
            tok = self.next()
        if tok.kind != "id" or tok.text.lower() not in ("graph", "digraph"):
            raise self.error(f"a DOT file starts with 'graph' or 'digraph', got "
                             f"'{tok.text[:30]}'", tok)
        self.directed = tok.text.lower() == "digraph"
        if self.at("id"):
            self.name = self.ident()
        self.expect("{")
        self.stmt_list({}, {}, 0)
        self.expect("}")
        if self.peek() is not None:
            raise self.error(f"text after the graph's closing '}}': "
                             f"'{self.peek().text[:30]}'")

    def stmt_list(self, node_defaults: dict, edge_defaults: dict, depth: int) -> list[str]:
        """Parse statements up to the closing brace; returns the nodes mentioned."""
        if depth > MAX_DEPTH:
            raise self.error(f"subgraphs nested deeper than {MAX_DEPTH}")
        node_defaults, edge_defaults = dict(node_defaults), dict(edge_defaults)
        members: list[str] = []
        while True:
            tok = self.peek()
            if tok is None:
                raise self.error("the DOT text ends early (missing '}'?)")
            if tok.kind == "}":
                return members
            if tok.kind == ";":
                self.next()
                continue
            self.stmt(node_defaults, edge_defaults, depth, members)

    def stmt(self, node_defaults, edge_defaults, depth, members) -> None:
        tok = self.peek()
        low = tok.text.lower() if tok.kind == "id" else ""
        nxt = self.peek(1)
        if low in ("graph", "node", "edge") and nxt is not None and nxt.kind == "[":
            self.next()
            attrs = self.attr_lists()
            target = {"graph": self.graph_attrs, "node": node_defaults,
                      "edge": edge_defaults}[low]
            target.update(attrs)
            return
        if tok.kind == "id" and nxt is not None and nxt.kind == "=" and low != "subgraph":
            key = self.ident()
            self.expect("=")
            self.graph_attrs[key] = self.ident()
            return
        ends = self.operand(node_defaults, edge_defaults, depth, members)
        if self.at("--", "->"):
            chain = [ends]
            lines = []
            while self.at("--", "->"):
                op = self.next()
                if (op.kind == "->") != self.directed:
                    raise self.error(f"'{op.kind}' in a {'digraph' if self.directed else 'graph'}"
                                     f"; expected '{'->' if self.directed else '--'}'", op)
                lines.append(op.line)
                chain.append(self.operand(node_defaults, edge_defaults, depth, members))
            explicit = self.attr_lists()
            for (left, right), line in zip(pairwise(chain), lines, strict=True):
                for a in left:
                    for b in right:
                        self.edges.append((a, b, edge_defaults, explicit, line))
        elif len(ends) == 1 and tok.kind == "id" and low != "subgraph":
            self.nodes[ends[0]].update(self.attr_lists())

    def operand(self, node_defaults, edge_defaults, depth, members) -> list[str]:
        tok = self.peek()
        if tok is None:
            raise self.error("the DOT text ends early (an edge without its end?)")
        if tok.kind == "{" or (tok.kind == "id" and tok.text.lower() == "subgraph"):
            if tok.kind == "id":
                self.next()
                if self.at("id"):
                    self.ident()
            self.expect("{")
            inner = self.stmt_list(node_defaults, edge_defaults, depth + 1)
            self.expect("}")
            members.extend(inner)
            return list(dict.fromkeys(inner))
        name = self.ident()
        if self.at(":"):  # port and compass
            self.next()
            self.ident()
            if self.at(":"):
                self.next()
                self.ident()
        if name not in self.nodes:
            self.nodes[name] = dict(node_defaults)
            self.node_lines[name] = tok.line
        members.append(name)
        return [name]

    def attr_lists(self) -> dict[str, str]:
        attrs: dict[str, str] = {}
        while self.at("["):
            self.next()
            while not self.at("]"):
                if self.peek() is None:
                    raise self.error("the DOT text ends inside '[...]'")
                key = self.ident()
                if self.at("="):
                    self.next()
                    attrs[key] = self.ident()
                else:
                    attrs[key] = "true"
                if self.at(",", ";"):
                    self.next()
            self.expect("]")
        return attrs


def _typed(records: list[dict[str, str]], n: int, lines: list[int], file) -> pd.DataFrame:
    keys = list(dict.fromkeys(k for r in records for k in r))
    out = {}
    for key in keys:
        values = pa.array([r.get(key) for r in records], type=pa.string())
        low = key.lower()
        kind = "str" if low in TEXT_COLUMNS else (
            "float" if low in ("weight", "capacity", "cost") else infer_kind(values))
        if kind == "empty":
            continue
        out[low if low in ("kind", "weight", "capacity", "cost") else key] = \
            convert_column(values, kind, lines=lines, file=file, name=key)
    return pd.DataFrame(out, index=pd.RangeIndex(n))


def read_dot(path: Path, *, ids: str | None = None) -> Network:
    """Read a Graphviz DOT file; see the module docstring."""
    text = load(path).decode("utf-8")
    parser = _Parser(_tokenize(text, path), path)
    if not parser.toks:
        raise InputError("only comments; expected 'graph { ... }' or 'digraph { ... }'",
                         file=path)
    parser.graph()
    names = list(parser.nodes)
    records = [parser.nodes[k] for k in names]
    node_lines = [parser.node_lines[k] for k in names]
    id_attr = ids
    if ids is None and names and all("name" in r for r in records) and \
            len({r["name"] for r in records}) == len(records):
        id_attr = "name"
    if id_attr not in (None, "node"):
        missing = [k for k, r in zip(names, records, strict=True) if id_attr not in r]
        if missing:
            raise InputError(f"node '{missing[0]}' has no attribute '{id_attr}' to take "
                             "as its id", file=path, field="ids")
        labels = [r[id_attr] for r in records]
        if len(set(labels)) != len(labels):
            raise InputError(f"attribute '{id_attr}' is not unique, so it cannot be the "
                             "actor id", file=path, field="ids")
        records = [{k: v for k, v in r.items() if k != id_attr} for r in records]
    else:
        labels = names
    index = {k: i for i, k in enumerate(names)}
    if parser.strict:  # one edge per pair: defaults at creation, explicit values merged
        merged: dict[tuple[str, str], tuple[str, str, dict, int]] = {}
        for a, b, defaults, explicit, line in parser.edges:
            key = (a, b) if parser.directed else tuple(sorted((a, b)))
            old = merged.get(key)
            merged[key] = (a, b, {**old[2], **explicit}, old[3]) if old else \
                (a, b, {**defaults, **explicit}, line)
        edges = list(merged.values())
    else:
        edges = [(a, b, {**d, **e}, line) for a, b, d, e, line in parser.edges]
    src = np.array([index[a] for a, _, _, _ in edges], dtype=np.int32)
    dst = np.array([index[b] for _, b, _, _ in edges], dtype=np.int32)
    edge_lines = [line for *_, line in edges]
    actors = _typed(records, len(names), node_lines, path)
    links = _typed([e[2] for e in edges], len(edges), edge_lines, path)
    meta = {"graph": dict(parser.graph_attrs)} if parser.graph_attrs else {}
    origin = Origin(file=str(path), actor_lines=node_lines, link_lines=edge_lines)
    return Network.from_indices(labels, src, dst, actors=actors, links=links,
                                directed=parser.directed, name=parser.name,
                                source=str(path), meta=meta, origin=origin)


def _sniff(head: str, path: Path) -> bool:
    body = re.sub(r"(?ms)/\*.*?\*/|//[^\n]*|^#[^\n]*", " ", head)
    return re.match(r"(?is)\s*(strict\s+)?(di)?graph\b[^{]*\{", body) is not None


register(
    "dot",
    extensions=(".dot", ".gv"),
    description="Graphviz DOT, structural subset (read only)",
    reader=read_dot,
    sniff=_sniff,
    priority=4,
    keeps="read only",
)

__all__ = ["read_dot"]
