"""UCINET DL files (``.dl``): the data-entry language of UCINET.

A DL file is a header of keywords, then ``data:`` and the data::

    dl n=4 nm=2 format=edgelist1
    matrix labels: calls meetings
    labels:
    ann, bob, "cy d", eve
    data:
    1 2 3
    2 3
    !
    1 4 1.5

Header keywords (any case, separated by spaces, commas, line breaks or ``=``): ``dl``
(first), ``n`` (actors), ``nm`` (matrices), ``format`` (``fullmatrix``/``fm``, the
default; ``edgelist1``/``el1``; ``nodelist1``/``nl1``; ``lowerhalf``/``lh`` and
``upperhalf``/``uh``), ``diagonal = present|absent``, ``labels:`` (or ``row labels:``,
``column labels:``) followed by the n labels, ``labels embedded`` (labels in the data:
a row of column labels and a label starting each row of a full matrix, labels instead
of numbers in edge and node lists), ``matrix labels:`` followed by the nm matrix names.
Labels may be quoted with ``"`` to hold spaces or commas.

Data: a full matrix is n rows of n values (n-1 with ``diagonal=absent``), matrices one
after another; a half matrix gives the lower or upper triangle and is symmetric; an
edge list gives ``i j [value]`` per line (value 1 when absent), a node list ``i j k ...``
meaning i→j, i→k. Numbers refer to actors 1..n. In edge and node lists the matrices
are separated by a line holding ``!``; a repeated cell takes its last value (a cell is
assigned, as UCINET builds a matrix). The header must tell the truth: a full matrix
with more or fewer values than ``nm`` × n × n, an actor number outside 1..n or more than
n embedded labels is an error.

Each nonzero cell is a link (weight = the value). With several matrices, links get a
``phase``: the matrix label, or 1..nm. ``directed=None`` (default) reads the network as
undirected when every matrix is symmetric (one link per pair) and directed otherwise.
Actors without labels are named 1..n.

The writer writes ``format=edgelist1`` (or, with ``layout="fullmatrix"``, a full matrix:
``fentanet.write(net, "x.dl", layout="fullmatrix")``) with a ``labels:`` section, so
isolates are kept, and one matrix per phase when every link has one.
What round-trips: ids (those with a double quote or a line break cannot be written),
isolates, the summed weight per pair and phase (undirected networks are written
symmetric), directedness when some matrix is asymmetric (pass ``directed=`` otherwise);
not kinds or other attributes, and a link of weight 0 is no link.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from fentanet.errors import InputError
from fentanet.network.io import atomic_path, register
from fentanet.network.io._text import format_number, load
from fentanet.network.model import Network

FORMATS = {
    "fullmatrix": "fullmatrix", "fm": "fullmatrix", "full": "fullmatrix",
    "edgelist1": "edgelist1", "el1": "edgelist1", "edgelist": "edgelist1",
    "nodelist1": "nodelist1", "nl1": "nodelist1", "nodelist": "nodelist1",
    "lowerhalf": "lowerhalf", "lh": "lowerhalf", "upperhalf": "upperhalf",
    "uh": "upperhalf",
}
MAX_ACTORS = 1_000_000
MAX_MATRICES = 10_000
_TOKEN = re.compile(r'"([^"\r\n]*)"|([^\s,="]+)|(")')


@dataclass
class _Tok:
    text: str
    line: int
    quoted: bool = False


@dataclass
class _Header:
    n: int | None = None
    nm: int = 1
    format: str = "fullmatrix"
    diagonal: bool = True
    labels: list[str] | None = None
    col_labels: list[str] | None = None
    matrix_labels: list[str] | None = None
    embedded: bool = False
    line: dict[str, int] = field(default_factory=dict)


def _tokens(text: str, first_line: int = 1) -> list[_Tok]:
    out: list[_Tok] = []
    line = first_line
    pos = 0
    for m in _TOKEN.finditer(text):
        line += text.count("\n", pos, m.start())
        pos = m.start()
        if m.group(3) is not None:
            raise InputError("unclosed quote in a label", line=line)
        if m.group(1) is not None:
            out.append(_Tok(m.group(1), line, True))
        else:
            tok = m.group(2)
            if tok == ":" and out and not out[-1].quoted:
                out[-1].text += ":"
            else:
                out.append(_Tok(tok, line))
    return out


def _header_tokens(text: str, file) -> tuple[list[_Tok], int]:
    """The header's tokens and the offset where the data start (after ``data:``)."""
    out: list[_Tok] = []
    line, pos = 1, 0
    for m in _TOKEN.finditer(text):
        line += text.count("\n", pos, m.start())
        pos = m.start()
        if m.group(3) is not None:
            raise InputError("unclosed quote in a label", file=file, line=line)
        if m.group(1) is not None:
            out.append(_Tok(m.group(1), line, True))
            continue
        tok = m.group(2)
        if tok == ":" and out and not out[-1].quoted:
            out[-1].text += ":"
        else:
            out.append(_Tok(tok, line))
        last = out[-1]
        if not last.quoted and last.text.lower() in ("data:", "data"):
            end = m.end()
            if last.text.lower() == "data":  # "data :" with the colon apart
                rest = re.match(r"\s*:", text[end:])
                if rest is None:
                    continue
                end += rest.end()
            out.pop()
            return out, end
        if len(out) == 1 and out[0].text.lower() != "dl":
            raise InputError(f"not a UCINET DL file: expected 'dl' first, got "
                             f"'{out[0].text[:30]}'", file=file, line=line)
    if not out:
        raise InputError("not a UCINET DL file: expected 'dl' first", file=file, line=1)
    raise InputError("no 'data:' section; expected the DL header, then data:", file=file,
                     line=line)


_KEYWORDS = {"n", "nr", "nc", "nm", "format", "diagonal", "labels", "labels:", "row",
             "column", "col", "matrix", "data:", "embedded", "embedded:", "level", "levels"}


def _parse_header(toks: list[_Tok], file) -> _Header:
    if not toks or toks[0].text.lower() != "dl":
        got = toks[0].text[:30] if toks else "nothing"
        raise InputError(f"not a UCINET DL file: expected 'dl' first, got '{got}'",
                         file=file, line=toks[0].line if toks else 1)
    h = _Header()
    i = 1

    def value(key: str) -> _Tok:
        if i + 1 >= len(toks):
            raise InputError(f"'{key}' has no value", file=file, line=toks[i].line)
        return toks[i + 1]

    def number(key: str) -> int:
        tok = value(key)
        try:
            v = int(tok.text)
        except ValueError:
            raise InputError(f"'{key}' must be a whole number, got '{tok.text[:30]}'",
                             file=file, line=tok.line, field=key) from None
        if v < (1 if key != "n" else 0) or v > (MAX_ACTORS if key in ("n", "nr", "nc")
                                                else MAX_MATRICES):
            raise InputError(f"'{key}' = {v} is out of range", file=file, line=tok.line,
                             field=key)
        return v

    def labels(count: int | None, line: int, what: str) -> tuple[list[str], int]:
        j = i + 1
        out = []
        while j < len(toks) and (count is None or len(out) < count):
            t = toks[j]
            if not t.quoted and t.text.lower() in _KEYWORDS and count is None:
                break
            out.append(t.text.strip())
            j += 1
        if count is not None and len(out) < count:
            raise InputError(f"{what} lists {len(out)} labels; the header says {count}",
                             file=file, line=line)
        return out, j

    while i < len(toks):
        t = toks[i]
        key = t.text.lower()
        if t.quoted:
            raise InputError(f"unexpected label '{t.text}' in the DL header", file=file,
                             line=t.line)
        if key in ("n", "nm"):
            setattr(h, key, number(key))
            h.line[key] = t.line
            i += 2
        elif key in ("nr", "nc"):
            v = number(key)
            if h.n is not None and h.n != v:
                raise InputError("two-mode DL data (nr differs from nc) is not a network "
                                 "of one kind of actor; expected n=", file=file,
                                 line=t.line, field=key)
            h.n = v
            h.line["n"] = t.line
            i += 2
        elif key == "format":
            tok = value(key)
            fmt = FORMATS.get(tok.text.lower())
            if fmt is None:
                raise InputError(f"unknown DL format '{tok.text[:30]}'; expected fullmatrix, "
                                 "edgelist1, nodelist1, lowerhalf or upperhalf", file=file,
                                 line=tok.line, field="format")
            h.format = fmt
            i += 2
        elif key == "diagonal":
            tok = value(key)
            if tok.text.lower() not in ("present", "absent"):
                raise InputError(f"diagonal must be present or absent, got '{tok.text}'",
                                 file=file, line=tok.line, field="diagonal")
            h.diagonal = tok.text.lower() == "present"
            i += 2
        elif key in ("labels:", "labels") and i + 1 < len(toks) and \
                toks[i + 1].text.lower() in ("embedded", "embedded:"):
            h.embedded = True
            i += 2
        elif key == "labels:":
            h.labels, i = labels(h.n, t.line, "labels:")
        elif key in ("row", "column", "col") and i + 1 < len(toks):
            nxt = toks[i + 1].text.lower()
            if nxt in ("labels", "labels:") and i + 2 < len(toks) and \
                    toks[i + 2].text.lower() in ("embedded", "embedded:"):
                h.embedded = True
                i += 3
            elif nxt == "labels:":
                i += 1
                got, i = labels(h.n, t.line, f"{key} labels:")
                if key == "row":
                    h.labels = got
                else:
                    h.col_labels = got
            else:
                raise InputError(f"unknown DL keyword '{t.text} {toks[i + 1].text}'",
                                 file=file, line=t.line)
        elif key == "matrix" and i + 1 < len(toks) and toks[i + 1].text.lower() == "labels:":
            i += 1
            h.matrix_labels, i = labels(h.nm, t.line, "matrix labels:")
        else:
            raise InputError(f"unknown DL keyword '{t.text[:30]}'; expected n=, nm=, "
                             "format=, labels:, matrix labels: or data:", file=file,
                             line=t.line)
    if h.n is None:
        raise InputError("the DL header gives no n= (number of actors)", file=file,
                         line=toks[0].line)
    if h.labels is not None and h.col_labels is not None and h.labels != h.col_labels:
        raise InputError("row labels and column labels differ; expected one set of actors",
                         file=file)
    if h.labels is None and h.col_labels is not None:
        h.labels = h.col_labels
    if h.labels is not None and len(set(h.labels)) != len(h.labels):
        dup = next(x for x in h.labels if h.labels.count(x) > 1)
        raise InputError(f"label '{dup}' appears twice", file=file)
    if h.matrix_labels is not None and len(set(h.matrix_labels)) != len(h.matrix_labels):
        raise InputError("a matrix label appears twice", file=file)
    return h


class _Labels:
    """Actor numbers of labels, assigning the next free number to a new label."""

    def __init__(self, n: int, labels: list[str] | None, file) -> None:
        self.n = n
        self.file = file
        self.names: list[str] = list(labels) if labels else []
        self.index = {x: k for k, x in enumerate(self.names)}
        self.fixed = labels is not None

    def get(self, label: str, line: int) -> int:
        k = self.index.get(label)
        if k is not None:
            return k
        if self.fixed or len(self.names) >= self.n:
            what = "is not among the labels" if self.fixed else \
                f"would be actor {len(self.names) + 1}, but the header says n={self.n}"
            raise InputError(f"label '{label[:40]}' {what}", file=self.file, line=line)
        self.index[label] = len(self.names)
        self.names.append(label)
        return len(self.names) - 1


def _number(tok: _Tok, file) -> float:
    try:
        v = float(tok.text)
    except ValueError:
        raise InputError(f"expected a number, got '{tok.text[:40]}'", file=file,
                         line=tok.line) from None
    if not np.isfinite(v):
        raise InputError(f"expected a finite number, got '{tok.text[:40]}'", file=file,
                         line=tok.line)
    return v


def _actor(tok: _Tok, h: _Header, names: _Labels, file) -> int:
    if h.embedded:
        return names.get(tok.text.strip(), tok.line)
    try:
        k = int(tok.text)
    except ValueError:
        raise InputError(f"expected an actor number 1..{h.n}, got '{tok.text[:40]}' (use "
                         "'labels embedded' for names in the data)", file=file,
                         line=tok.line) from None
    if not 1 <= k <= h.n:
        raise InputError(f"actor {k} is outside 1..{h.n}: the header says n={h.n}",
                         file=file, line=tok.line)
    return k - 1


Cells = dict[tuple[int, int], float]


def _read_matrices(data: list[_Tok], h: _Header, names: _Labels, file, end_line: int
                   ) -> list[Cells]:
    n, nm = h.n, h.nm
    mats: list[Cells] = []
    pos = 0

    def take() -> _Tok:
        nonlocal pos
        if pos >= len(data):
            raise InputError(f"the data end early: the header says n={n}" +
                             (f" and nm={nm}" if nm > 1 else "") + f"; matrix {len(mats) + 1}"
                             " is incomplete", file=file, line=end_line)
        tok = data[pos]
        pos += 1
        return tok

    for _ in range(nm):
        cells: Cells = {}
        if h.format == "fullmatrix":
            if h.embedded:
                cols = [names.get(take().text.strip(), data[pos - 1].line) for _ in range(n)]
                for _ in range(n):
                    tok = take()
                    i = names.get(tok.text.strip(), tok.line)
                    for jj in range(n):
                        v = _number(take(), file)
                        if v:
                            cells[(i, cols[jj])] = v
            else:
                for i in range(n):
                    for j in range(n):
                        if j == i and not h.diagonal:
                            continue
                        v = _number(take(), file)
                        if v:
                            cells[(i, j)] = v
        else:  # lower or upper half
            for i in range(n):
                js = range(0, i + 1) if h.format == "lowerhalf" else range(i, n)
                for j in js:
                    if j == i and not h.diagonal:
                        continue
                    v = _number(take(), file)
                    if v:
                        cells[(i, j)] = v
                        cells[(j, i)] = v
        mats.append(cells)
    if pos < len(data):
        tok = data[pos]
        raise InputError(f"more data than the header says (n={n}" +
                         (f", nm={nm}" if nm > 1 else "") + f"): '{tok.text[:30]}' is "
                         "extra", file=file, line=tok.line)
    return mats


def _read_lists(lines: list[tuple[int, str]], h: _Header, names: _Labels, file
                ) -> list[Cells]:
    mats: list[Cells] = [{}]
    for line, text in lines:
        toks = _tokens(text, line)
        if not toks:
            continue
        if len(toks) == 1 and toks[0].text == "!" and not toks[0].quoted:
            mats.append({})
            continue
        cells = mats[-1]
        if h.format == "edgelist1":
            if len(toks) not in (2, 3):
                raise InputError(f"an edgelist1 line holds 'i j [value]', got {len(toks)} "
                                 "fields", file=file, line=line)
            i = _actor(toks[0], h, names, file)
            j = _actor(toks[1], h, names, file)
            v = _number(toks[2], file) if len(toks) == 3 else 1.0
            cells[(i, j)] = v
        else:
            i = _actor(toks[0], h, names, file)
            for tok in toks[1:]:
                cells[(i, _actor(tok, h, names, file))] = 1.0
    if len(mats) != h.nm:
        raise InputError(f"{len(mats)} matrices in the data ('!' separates them); the "
                         f"header says nm={h.nm}", file=file,
                         line=lines[-1][0] if lines else None)
    return mats


def read_dl(path: Path, *, directed: bool | None = None) -> Network:
    """Read a UCINET DL file; see the module docstring."""
    text = load(path).decode("utf-8")
    head_toks, data_start = _header_tokens(text, path)
    data_line = text.count("\n", 0, data_start) + 1
    try:
        h = _parse_header(head_toks, path)
        names = _Labels(h.n, h.labels, path)
        data_text = text[data_start:]
        if h.format in ("edgelist1", "nodelist1"):
            lines = [(data_line + k, ln) for k, ln in enumerate(data_text.split("\n"))]
            mats = _read_lists(lines, h, names, path)
        else:
            end_line = text.count("\n") + 1
            mats = _read_matrices(_tokens(data_text, data_line), h, names, path, end_line)
    except InputError as exc:
        raise exc.located(file=path) from None
    labels = names.names + [str(k + 1) for k in range(len(names.names), h.n)]
    if not h.labels and not h.embedded:
        labels = [str(k + 1) for k in range(h.n)]
    symmetric = all(c.get((j, i)) == v for c in mats for (i, j), v in c.items())
    if directed is None:
        directed = not symmetric
    src, dst, w, phase = [], [], [], []
    phases = _phase_values(h.matrix_labels) if h.matrix_labels else \
        list(range(1, h.nm + 1))
    for ph, cells in zip(phases, mats, strict=True):
        if not directed:
            pairs: Cells = {}
            for (i, j), v in cells.items():
                key = (min(i, j), max(i, j))
                pairs[key] = max(pairs.get(key, v), v)
            cells = pairs
        for (i, j), v in sorted(cells.items()):
            src.append(i)
            dst.append(j)
            w.append(v)
            phase.append(ph)
    links = pd.DataFrame({"phase": phase}) if h.nm > 1 or h.matrix_labels else None
    return Network.from_indices(labels, np.asarray(src, dtype=np.int32),
                                np.asarray(dst, dtype=np.int32),
                                weight=np.asarray(w, dtype=np.float64), links=links,
                                directed=bool(directed), source=str(path))


def _phase_values(labels: list[str]) -> list:
    """Matrix labels as phases: integers when all are whole numbers, else text."""
    if all(re.fullmatch(r"[+-]?[0-9]{1,15}", x) for x in labels):
        return [int(x) for x in labels]
    return list(labels)


def _quote(label: str) -> str:
    if re.search(r'["\r\n]', label):
        raise InputError(f"actor id {label!r} holds a double quote or a line break; a DL "
                         "label cannot hold it", field="id")
    if re.search(r"[\s,=:!]", label) or label.lower() in _KEYWORDS or label == "":
        return f'"{label}"'
    return label


def write_dl(net: Network, path: Path, *, layout: str = "edgelist1",
             max_actors: int | None = None) -> None:
    """Write a UCINET DL file, its data laid out as ``layout`` (``"edgelist1"`` or
    ``"fullmatrix"``, the DL header's ``format=``); see the module docstring.

    ``fullmatrix`` refuses networks of more than ``max_actors`` actors (default
    :data:`fentanet.network.io.matrix.MAX_ACTORS`) and writes its rows one at a time.
    """
    from fentanet.network.io.matrix import MAX_ACTORS, check_size

    fmt = FORMATS.get(str(layout).lower())
    if fmt not in ("edgelist1", "fullmatrix"):
        raise InputError(f"unknown DL layout {layout!r}; expected edgelist1 or fullmatrix",
                         field="layout")
    if fmt == "fullmatrix":
        check_size(net.n_actors, MAX_ACTORS if max_actors is None else max_actors,
                   "DL full matrix")
    labels = [_quote(str(x)) for x in net.ids]
    n = len(labels)
    src, dst = net.source_index, net.target_index
    w = net.links["weight"].to_numpy(dtype=np.float64, na_value=1.0)
    phases = [None]
    if "phase" in net.links and net.links["phase"].notna().any():
        if net.links["phase"].isna().any():
            raise InputError("some links have a phase and others none; a DL file holds one "
                             "matrix per phase", field="phase")
        phases = sorted(net.links["phase"].unique().tolist(), key=_phase_key)
    if not net.directed:
        loop = src == dst
        src, dst, w = (np.concatenate([src, dst[~loop]]), np.concatenate([dst, src[~loop]]),
                       np.concatenate([w, w[~loop]]))
        ph_col = None if phases == [None] else np.concatenate(
            [net.links["phase"].to_numpy(dtype=object),
             net.links["phase"].to_numpy(dtype=object)[~loop]])
    else:
        ph_col = None if phases == [None] else net.links["phase"].to_numpy(dtype=object)
    head = [f"dl n={n}" + (f" nm={len(phases)}" if phases != [None] else "") +
            f" format={fmt}"]
    if phases != [None]:
        head.append("matrix labels:")
        head.append(", ".join(_quote(str(p)) for p in phases))
    if n:
        head.append("labels:")
        head.extend(labels)
    head.append("data:")
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        fh.write("\n".join(head) + "\n")
        for k, ph in enumerate(phases):
            mask = np.ones(src.size, dtype=bool) if ph is None else (ph_col == ph)
            frame = pd.DataFrame({"i": src[mask], "j": dst[mask], "w": w[mask]})
            cells = frame.groupby(["i", "j"], sort=True)["w"].sum()
            cells = cells[cells != 0]
            if fmt == "edgelist1":
                if k:
                    fh.write("!\n")
                for (i, j), v in cells.items():
                    fh.write(f"{i + 1} {j + 1} {format_number(v)}\n")
            else:  # one row at a time: no n x n array
                by_row: dict[int, list[tuple[int, float]]] = {}
                for (i, j), v in cells.items():
                    by_row.setdefault(int(i), []).append((int(j), v))
                for i in range(n):
                    row = ["0"] * n
                    for j, v in by_row.get(i, ()):
                        row[j] = format_number(v)
                    fh.write(" ".join(row) + "\n")


def _phase_key(p) -> tuple:
    return (0, float(p), "") if isinstance(p, (int, float, np.integer, np.floating)) \
        else (1, 0.0, str(p))


def _sniff(head: str, path: Path) -> bool:
    """``dl`` first, then an ``n =`` (or ``nr``/``nc``) before the data."""
    return re.match(r"(?is)\s*dl[\s,].*?\bn[rc]?\s*=\s*\d", head[:4096]) is not None


register(
    "dl",
    extensions=(".dl",),
    description="UCINET DL (fullmatrix, lower/upperhalf, edgelist1, nodelist1; nm "
                "matrices become phases)",
    reader=read_dl,
    writer=write_dl,
    sniff=_sniff,
    priority=5,
    keeps="ids (isolates too), summed weight per pair and phase, direction when "
          "asymmetric; no kinds or attributes",
)

__all__ = ["read_dl", "write_dl"]
