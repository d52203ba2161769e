"""Pajek ``.net`` files.

Sections start with a line ``*Keyword`` (any case): ``*Network name``, ``*Vertices n``
followed by vertex lines ``k "label" [x y z ...]`` (vertices not listed are named by
their number; layout and colour fields are ignored), then any of ``*Arcs`` and ``*Edges``
(lines ``i j [weight]``, weight 1 when absent), ``*Arcslist`` and ``*Edgeslist`` (lines
``i j k ...``: i to each of j, k, ...) and ``*Matrix`` (n rows of n values, zero = no
link; fewer rows than n is an error naming where the data end). Lines starting with
``%`` are comments. A relation number and name after a section keyword (``*Arcs :2
"calls"``) are kept in the link column ``relation``.

Vertex labels are the actor ids (they must be unique). The network is directed when the
file has arcs (``*Arcs``, ``*Arcslist``, ``*Matrix``); its edges then become a pair of
arcs. A file with edges only is undirected. ``directed=`` overrides. Every line is a
link: repeated pairs are parallel links (``duplicates=`` as for edge lists merges them).

The writer writes ``*Vertices`` with every actor's id as its label, then ``*Arcs`` or
``*Edges`` with the weights. What round-trips: ids (not those holding a double quote or a
line break), isolates, one line per link (parallel links kept), weights, direction,
self-loops; not kinds or other attributes.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from fentanet.errors import InputError
from fentanet.network.io import atomic_path, register
from fentanet.network.io._text import format_number, load
from fentanet.network.io.edgelist import DUPLICATE_RULES, combine_duplicates
from fentanet.network.model import Network, Origin

_TOKEN = re.compile(r'"([^"]*)"|(\S+)')
MAX_VERTICES = 10_000_000
_SECTION = re.compile(r"\*(\w+)\s*(.*)$")


def _split(line: str, lineno: int, file) -> list[str]:
    """Fields of a line; double quotes group a label holding spaces."""
    if '"' not in line:
        return line.split()
    if line.count('"') % 2:
        raise InputError("unclosed quote", file=file, line=lineno)
    return [m.group(1) if m.group(1) is not None else m.group(2)
            for m in _TOKEN.finditer(line)]


def _index(tok: str, n: int, lineno: int, file) -> int:
    try:
        k = int(tok)
    except ValueError:
        raise InputError(f"expected a vertex number 1..{n}, got '{tok[:30]}'", file=file,
                         line=lineno) from None
    if not 1 <= k <= n:
        raise InputError(f"vertex {k} is outside 1..{n}: *Vertices says n={n}", file=file,
                         line=lineno)
    return k - 1


def _weight(tok: str, lineno: int, file) -> float:
    try:
        w = float(tok)
    except ValueError:
        raise InputError(f"weight must be a number, got '{tok[:30]}'", file=file,
                         line=lineno, field="weight") from None
    return w


def read_pajek(path: Path, *, directed: bool | None = None,
               duplicates: str = "keep") -> Network:
    """Read a Pajek ``.net`` file; see the module docstring."""
    if duplicates not in DUPLICATE_RULES:
        raise InputError(f"unknown rule for repeated pairs {duplicates!r}; expected one of "
                         f"{', '.join(DUPLICATE_RULES)}", field="duplicates")
    text = load(path).decode("utf-8")
    n: int | None = None
    labels: dict[int, str] = {}
    name = ""
    src, dst, w, arc, rel, lines = [], [], [], [], [], []
    section = None
    relation = None
    matrix_row = 0

    def matrix_complete(lineno: int) -> None:
        if section == "matrix" and matrix_row < n:
            raise InputError(f"the data end early: *Vertices says n={n}; the *Matrix holds "
                             f"{matrix_row} of its {n} rows", file=path, line=lineno)

    lineno = 0
    for lineno, line in enumerate(text.split("\n"), start=1):
        s = line.strip()
        if not s or s.startswith("%"):
            continue
        if s.startswith("*"):
            matrix_complete(lineno)
            m = _SECTION.match(s)
            if m is None:
                raise InputError(f"unknown Pajek section '{s[:30]}'", file=path, line=lineno)
            key, rest = m.group(1).lower(), m.group(2).strip()
            relation = None
            if key == "network":
                name = rest.strip('"')
                section = None
            elif key == "vertices":
                parts = rest.split()
                try:
                    n = int(parts[0])
                    if n < 0:
                        raise ValueError
                except (ValueError, IndexError):
                    raise InputError(f"*Vertices needs a number of vertices, got "
                                     f"'{rest[:30]}'", file=path, line=lineno) from None
                if n > MAX_VERTICES:
                    raise InputError(f"*Vertices {n}: more than {MAX_VERTICES:,} vertices "
                                     "is beyond this reader", file=path, line=lineno)
                section = "vertices"
            elif key in ("arcs", "edges", "arcslist", "edgeslist", "matrix"):
                if n is None:
                    raise InputError(f"*{m.group(1)} before *Vertices", file=path,
                                     line=lineno)
                section = key
                matrix_row = 0
                rm = re.match(r':\s*(\d+)\s*(?:"([^"]*)"|(\S+))?', rest)
                if rm:
                    relation = rm.group(2) or rm.group(3) or rm.group(1)
            else:
                raise InputError(f"unknown Pajek section '*{m.group(1)}'; expected *Vertices, "
                                 "*Arcs, *Edges, *Arcslist, *Edgeslist or *Matrix", file=path,
                                 line=lineno)
            continue
        if section is None:
            raise InputError("data before a *Vertices line; a Pajek network starts with "
                             "'*Vertices n'", file=path, line=lineno)
        toks = _split(s, lineno, path)
        if section == "vertices":
            k = _index(toks[0], n, lineno, path)
            if k in labels:
                raise InputError(f"vertex {k + 1} is listed twice", file=path, line=lineno)
            labels[k] = toks[1].strip() if len(toks) > 1 else str(k + 1)
            continue
        if section in ("arcs", "edges"):
            if len(toks) < 2:
                raise InputError("a link line holds 'i j [weight]'", file=path, line=lineno)
            pairs = [(_index(toks[0], n, lineno, path), _index(toks[1], n, lineno, path),
                      _weight(toks[2], lineno, path) if len(toks) > 2 else 1.0)]
        elif section in ("arcslist", "edgeslist"):
            i = _index(toks[0], n, lineno, path)
            pairs = [(i, _index(t, n, lineno, path), 1.0) for t in toks[1:]]
        else:  # matrix
            if matrix_row >= n:
                raise InputError(f"more than {n} matrix rows", file=path, line=lineno)
            if len(toks) != n:
                raise InputError(f"a matrix row holds {n} values, got {len(toks)}",
                                 file=path, line=lineno)
            pairs = [(matrix_row, j, v) for j, t in enumerate(toks)
                     if (v := _weight(t, lineno, path)) != 0]
            matrix_row += 1
        is_arc = section in ("arcs", "arcslist", "matrix")
        for i, j, v in pairs:
            src.append(i)
            dst.append(j)
            w.append(v)
            arc.append(is_arc)
            rel.append(relation)
            lines.append(lineno)
    matrix_complete(lineno)
    if n is None:
        raise InputError("no *Vertices line; expected a Pajek network", file=path)
    ids = [labels.get(k, str(k + 1)) for k in range(n)]
    seen: dict[str, int] = {}
    for k, label in enumerate(ids):
        if not label:
            raise InputError(f"vertex {k + 1} has an empty label", file=path)
        if label in seen:
            raise InputError(f"vertex label '{label}' belongs to vertices {seen[label] + 1} "
                             f"and {k + 1}; actor ids must be unique", file=path)
        seen[label] = k
    src_a = np.asarray(src, dtype=np.int32)
    dst_a = np.asarray(dst, dtype=np.int32)
    w_a = np.asarray(w, dtype=np.float64)
    arc_a = np.asarray(arc, dtype=bool)
    line_a = np.asarray(lines)
    rel_a = np.asarray(rel, dtype=object)
    if directed is None:
        directed = bool(arc_a.any())
    if directed and (~arc_a).any():  # edges in a directed network: both ways
        back = np.flatnonzero(~arc_a & (src_a != dst_a))
        src_a, dst_a = np.concatenate([src_a, dst_a[back]]), np.concatenate([dst_a,
                                                                              src_a[back]])
        w_a, line_a = np.concatenate([w_a, w_a[back]]), np.concatenate([line_a,
                                                                         line_a[back]])
        rel_a = np.concatenate([rel_a, rel_a[back]])
    links = pd.DataFrame({"relation": rel_a}) if any(r is not None for r in rel) else None
    groups = None if links is None else pd.factorize(rel_a)[0].astype(np.int64)
    keep, merged = combine_duplicates(src_a, dst_a, w_a, n_actors=n, directed=directed,
                                      rule=duplicates, groups=groups)
    if keep is not None:
        src_a, dst_a, line_a, w_a = src_a[keep], dst_a[keep], line_a[keep], merged
        links = None if links is None else links.iloc[keep].reset_index(drop=True)
    return Network.from_indices(ids, src_a, dst_a, weight=w_a, links=links,
                                directed=directed, name=name, source=str(path),
                                origin=Origin(file=str(path), link_lines=line_a))


def write_pajek(net: Network, path: Path) -> None:
    """Write a Pajek ``.net`` file; see the module docstring."""
    ids = [str(x) for x in net.ids]
    for x in ids:
        if re.search(r'["\r\n]', x):
            raise InputError(f"actor id {x!r} holds a double quote or a line break; a "
                             "Pajek label cannot hold it", field="id")
    w = net.links["weight"].to_numpy(dtype=np.float64, na_value=1.0)
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        if net.name and not re.search(r'["\r\n]', net.name):
            fh.write(f'*Network "{net.name}"\n')
        fh.write(f"*Vertices {len(ids)}\n")
        for k, x in enumerate(ids, start=1):
            fh.write(f'{k} "{x}"\n')
        fh.write("*Arcs\n" if net.directed else "*Edges\n")
        for s, t, v in zip(net.source_index.tolist(), net.target_index.tolist(), w.tolist(),
                           strict=True):
            fh.write(f"{s + 1} {t + 1} {format_number(v)}\n")


def _sniff(head: str, path: Path) -> bool:
    for line in head.split("\n"):
        s = line.strip().lower()
        if not s or s.startswith("%"):
            continue
        return s.startswith(("*vertices", "*network"))
    return False


register(
    "pajek",
    extensions=(".net", ".paj"),
    description="Pajek network (*Vertices, *Arcs, *Edges, *Arcslist, *Edgeslist, *Matrix)",
    reader=read_pajek,
    writer=write_pajek,
    sniff=_sniff,
    priority=6,
    keeps="ids, isolates, one line per link, weights, direction, self-loops; no kinds or "
          "attributes",
)

__all__ = ["read_pajek", "write_pajek"]
