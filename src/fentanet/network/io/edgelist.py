"""Plain edge lists: one link per line, ``source target [weight]``.

Fields are separated by tabs, commas, semicolons or runs of spaces (detected from the
first lines, or ``delimiter=``); every line has the same number of fields, 2 or 3. A file
whose lines commas and semicolons both split so (``a;b;1,5``: a semicolon file with
decimal commas) is refused unless ``delimiter=`` says which. Lines
starting with ``#`` or ``%`` are comments. A header line is recognised when its first two
fields are names such as ``source``/``target``, ``from``/``to``, ``node1``/``node2``, or when
its third field is not a number while the next line's is (``header=True``/``False``
overrides). Fields are not quoted: ids are the text between delimiters, stripped of
surrounding spaces.

Defaults follow networkx's ``read_edgelist`` into a ``Graph``: **undirected**
(``directed=True`` for arcs), and a repeated pair keeps the weight of its **last** line.
The rule for repeated pairs is ``duplicates=``:

- ``"last"`` (default) / ``"first"``: keep that line of each pair;
- ``"sum"``, ``"max"``, ``"min"``: one link per pair at the first line's place, its weight
  combined over the pair's lines;
- ``"keep"``: every line is a link (parallel links).

A pair is ordered when ``directed`` and unordered otherwise, so ``18 19 5`` and
``19 18 6`` are one undirected link of weight 6 under ``"last"`` (as the Montagna
authors load their files). Missing weights are 1. Actors are the ids in order of first
appearance (source before target, line by line).

The writer writes ``source<TAB>target<TAB>weight`` lines, no header: ids with a tab, a
line break or a leading ``#``/``%`` cannot be written (InputError). What round-trips:
ids of linked actors, one line per link (read back with ``duplicates="keep"``), weights
exactly; not isolated actors, kinds, other attributes or directedness (a reader option).

>>> net = read("calls.tsv", format="edgelist", duplicates="sum")   # doctest: +SKIP
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from fentanet.errors import InputError
from fentanet.network.io import atomic_path, register
from fentanet.network.io._text import (
    head_lines,
    load,
    read_table,
    sniff_delimiter,
    split_header,
    strip_comments,
)
from fentanet.network.model import Network, Origin

DUPLICATE_RULES = ("last", "first", "sum", "max", "min", "keep")

HEADER_WORDS = frozenset({
    "source", "target", "from", "to", "src", "dst", "node1", "node2", "node_1", "node_2",
    "vertex1", "vertex2", "ego", "alter", "tail", "head", "sender", "receiver", "caller",
    "callee", "id1", "id2", "u", "v", "i", "j", "actor1", "actor2", "name1", "name2",
})
"""First-line field names that mark a header (lower case)."""

LIST_WORDS = frozenset({"id", "kind", "capacity", "cost", "phase"})
"""Column names of actor and link lists (lower case): a first line holding one is the
header of such a list, never a line of an edge list."""

_DELIMITER_NAMES = {"tab": "\t", "comma": ",", "space": " ", "semicolon": ";",
                    "whitespace": " ", "\\t": "\t", "pipe": "|"}


def delimiter_option(option: str) -> str:
    """The character a ``delimiter=`` option names (tab, comma, semicolon, space, pipe, or
    one of those characters); anything else raises, naming the option and its values."""
    d = _DELIMITER_NAMES.get(option, option)
    if d not in ("\t", ",", ";", " ", "|"):
        raise InputError(f"unknown delimiter {option!r}; expected tab, comma, semicolon, "
                         "space or '|'", field="delimiter")
    return d


def _delimiter(option: str | None, lines: list[str]) -> str:
    """The field delimiter: ``\\t``, ``,``, ``;`` or ``" "`` (runs of spaces and tabs)."""
    if option is not None:
        return delimiter_option(option)
    lines = [ln.strip() for ln in lines]
    for d in "\t,;|":  # the first that splits every line into 2 or 3 fields
        counts = {ln.count(d) for ln in lines}
        if len(counts) == 1 and counts <= {1, 2}:
            if d == "\t" and any(re.search(r"\t[ \t]*\t", ln) for ln in lines):
                return " "  # aligned columns padded with several tabs
            return d
    if any(" " in ln for ln in lines):
        return " "
    return sniff_delimiter(lines[:1], "\t,;|") or " "  # to name the wrong field count


def _semicolons_too(raw: bytes, sample: list[str], path: Path) -> None:
    """Refuse a file whose lines semicolons split as consistently as commas: a semicolon
    file whose weights have decimal commas (``a;b;1,5``, as spreadsheets write it in many
    locales) would read as a comma file of ids ``a;b;1`` and ``5``."""
    counts = {ln.strip().count(";") for ln in sample}
    if len(counts) != 1 or not counts <= {1, 2}:
        return
    line = next(k for k, ln in enumerate(raw.split(b"\n"), start=1) if ln.strip())
    shown = sample[0].strip()[:40]
    raise InputError(f"both ',' and ';' split every line into 2 or 3 fields ('{shown}'), as "
                     "in a semicolon-separated file with decimal commas; say which delimiter "
                     "with --delimiter (delimiter= in Python); weights take a decimal point "
                     "(1.5, not 1,5)", file=path, line=line)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _split(line: str, delim: str) -> list[str]:
    if delim == " ":
        return line.split()
    return [f.strip() for f in line.strip().split(delim)]


def _has_header(first: list[str], second: list[str] | None) -> bool:
    low = [f.lower() for f in first]
    if len(low) >= 2 and low[0] in HEADER_WORDS and low[1] in HEADER_WORDS:
        return True
    if len(first) == 3 and not _is_number(first[2]) and not _DECIMAL_COMMA.match(first[2]):
        return second is None or (len(second) == 3 and _is_number(second[2]))
    return False


_DECIMAL_COMMA = re.compile(r"^[+-]?[0-9]*,[0-9]+$")
"""A number with a decimal comma (``1,5``): a weight the reader refuses, not a header's
name, so that the reader names it."""


def read_edgelist(
    path: Path,
    *,
    directed: bool = False,
    duplicates: str = "last",
    header: bool | None = None,
    delimiter: str | None = None,
) -> Network:
    """Read a plain edge list; see the module docstring for the format and the options."""
    if duplicates not in DUPLICATE_RULES:
        raise InputError(f"unknown rule for repeated pairs {duplicates!r}; expected one of "
                         f"{', '.join(DUPLICATE_RULES)}", field="duplicates")
    raw = strip_comments(load(path))
    sample = head_lines(raw[:65536].decode("utf-8", errors="ignore"), 20)
    if not sample:
        raise InputError("only comments, no links; expected lines 'source target "
                         "[weight]'", file=path)
    delim = _delimiter(delimiter, sample)
    if delimiter is None and delim == ",":
        _semicolons_too(raw, sample, path)
    rows = [_split(ln, delim) for ln in sample[:2]]
    if delim == " ":
        raw = _normalise_whitespace(raw)
        delim = "\t"
    use_header = _has_header(rows[0], rows[1] if len(rows) > 1 else None) \
        if header is None else bool(header)
    head, body, head_line = split_header(raw, quoting=False)
    if use_header:
        first_line = head_line + 1
        width = len(_split(head.decode("utf-8"), delim))
    else:
        body, first_line = raw, 1
        width = len(_split(head.decode("utf-8"), delim))
    if width not in (2, 3):
        line = head_line
        raise InputError(f"line has {width} field{'s' if width != 1 else ''}; expected "
                         "2 or 3 (source, target[, weight]); for more columns use a link "
                         "list with a header row (source,target,...)", file=path,
                         line=line)
    names = ["source", "target", "weight"][:width]
    table = read_table(body, path=path, delimiter=delim, names=names,
                       first_line=first_line, quoting=False, what="line")
    return build(table, path=path, directed=directed, duplicates=duplicates)


def _normalise_whitespace(raw: bytes) -> bytes:
    """Runs of spaces and tabs become one tab; leading and trailing ones go."""
    raw = re.sub(rb"[ \t]+", b"\t", raw)
    return re.sub(rb"(?m)^\t|\t(?=\r?$)", b"", raw)


def build(table, *, path: Path, directed: bool, duplicates: str) -> Network:
    """The network of a parsed edge list (columns source, target and maybe weight)."""
    n = table.n_rows
    if n == 0:
        raise InputError("no links; expected lines 'source target [weight]'", file=path)
    src_raw, dst_raw = table.columns["source"], table.columns["target"]
    for name, col in (("source", src_raw), ("target", dst_raw)):
        if col.null_count:
            row = int(np.flatnonzero(pc.is_null(col).to_numpy(zero_copy_only=False))[0])
            raise InputError(f"missing {name} id", file=path, line=table.line(row),
                             field=name)
    ids, src, dst = factorize_ends(src_raw, dst_raw, table=table, path=path)
    weight = None
    if "weight" in table.columns:
        weight = parse_weights(table.columns["weight"], table=table, path=path)
    keep, weight = combine_duplicates(src, dst, weight, n_actors=len(ids),
                                      directed=directed, rule=duplicates)
    lines = None
    if keep is not None:
        src, dst = src[keep], dst[keep]
        lines = _Subset(table.lines, keep)
    origin = Origin(file=str(path), link_lines=lines if lines is not None else table.lines)
    return Network.from_indices(ids, src, dst, weight=weight, directed=directed,
                                source=str(path), origin=origin)


class _Subset:
    """Line numbers of a subset of rows (the links kept after merging repeated pairs)."""

    def __init__(self, lines, rows: np.ndarray) -> None:
        self.lines, self.rows = lines, rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> int:
        return self.lines[int(self.rows[i])]


def factorize_ends(src: pa.ChunkedArray, dst: pa.ChunkedArray, *, table, path
                   ) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """Unique ids in order of first appearance (source before target, row by row) and
    the int32 codes of each row's ends. Ids are stripped of surrounding spaces; an id
    that is empty after stripping raises.

    Ids that are all plain decimal integers (no sign, no leading zero) are factorised as
    integers, which is several times faster and gives the same ids.
    """
    n = len(src)
    fast = _integer_ends(src, dst)
    if fast is not None:
        inter = np.empty(2 * n, dtype=np.int64)
        inter[0::2], inter[1::2] = fast
        codes, uniques = pd.factorize(inter)
        ids = pa.array(uniques).cast(pa.string())
    else:
        both = pa.chunked_array(src.chunks + dst.chunks, type=pa.string())
        order = np.empty(2 * n, dtype=np.int64)
        order[0::2] = np.arange(n)
        order[1::2] = np.arange(n, 2 * n)
        enc = pc.dictionary_encode(both.take(pa.array(order))).combine_chunks()
        codes = enc.indices.to_numpy(zero_copy_only=False)
        ids = enc.dictionary
        stripped = pc.utf8_trim_whitespace(ids)
        if not pc.all(pc.equal(stripped, ids)).as_py():
            empty = pc.equal(pc.utf8_length(stripped), 0).to_numpy(zero_copy_only=False)
            if empty.any():
                bad = int(np.flatnonzero(empty)[0])
                pos = int(np.flatnonzero(codes == bad)[0])
                end = "source" if pos % 2 == 0 else "target"
                raise InputError(f"empty {end} id", file=path, line=table.line(pos // 2),
                                 field=end)
            remap, uniques = pd.factorize(np.asarray(stripped.to_pylist(), dtype=object))
            codes = remap[codes]
            ids = pa.array(uniques.tolist(), type=pa.string())
    codes = codes.astype(np.int32, copy=False)
    return ids, codes[0::2].copy(), codes[1::2].copy()


def _integer_ends(src: pa.ChunkedArray, dst: pa.ChunkedArray
                  ) -> tuple[np.ndarray, np.ndarray] | None:
    """Both columns as int64 when every id is a canonical decimal integer, else None.

    Canonical: the text is exactly what the integer prints as, so "007", "+7" and "-0"
    (whose integers print otherwise) keep the text route and stay distinct ids.
    """
    out = []
    for col in (src, dst):
        try:
            ints = pc.cast(col, pa.int64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
        if ints.null_count:
            return None
        values = ints.to_numpy()
        mag = np.abs(values)
        digits = np.ones(values.size, dtype=np.int64)
        for k in range(1, 19):  # number of decimal digits, without float rounding
            digits += mag >= 10 ** k
        digits += values < 0
        if not np.array_equal(pc.utf8_length(col).to_numpy(zero_copy_only=False), digits):
            return None
        out.append(values)
    return out[0], out[1]


def parse_weights(col: pa.ChunkedArray, *, table, path, name: str = "weight") -> np.ndarray:
    """Float weights from text; missing = 1. A non-numeric value raises with its line."""
    try:
        w = pc.cast(pc.utf8_trim_whitespace(col), pa.float64())
    except pa.ArrowInvalid:
        trimmed = pc.utf8_trim_whitespace(col)
        ok = pc.match_substring_regex(
            trimmed, r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$")
        ok = pc.fill_null(ok, True).to_numpy(zero_copy_only=False)
        row = int(np.flatnonzero(~ok)[0]) if (~ok).any() else 0
        text = str(col[row].as_py())
        shown = text if len(text) <= 40 else text[:40] + "..."
        raise InputError(f"{name} must be a number, got '{shown}'", file=path,
                         line=table.line(row), field=name) from None
    out = w.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
    if w.null_count:
        out = np.where(np.isnan(out), 1.0, out)
    return out


def combine_duplicates(src: np.ndarray, dst: np.ndarray, weight: np.ndarray | None, *,
                       n_actors: int, directed: bool, rule: str,
                       groups: np.ndarray | None = None,
                       ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Rows to keep and their weights under a rule for repeated pairs.

    ``groups`` (integer codes, e.g. of kind and phase) keeps rows of different groups
    apart. Returns ``(None, weight)`` when every row is kept. See the module docstring.
    """
    if rule == "keep" or src.size < 2:
        return None, weight
    a, b = (src, dst) if directed else (np.minimum(src, dst), np.maximum(src, dst))
    key = a.astype(np.int64) * max(n_actors, 1) + b
    if groups is not None:
        pair, _ = pd.factorize(key)
        key = pair.astype(np.int64) * (int(groups.max()) + 1) + groups
    keys = pd.Series(key)
    if rule in ("last", "first"):
        dup = keys.duplicated(keep=rule).to_numpy()
        if not dup.any():
            return None, weight
        keep = np.flatnonzero(~dup)
        return keep, None if weight is None else weight[keep]
    dup = keys.duplicated(keep="first").to_numpy()
    if not dup.any():
        return None, weight
    keep = np.flatnonzero(~dup)
    codes, _ = pd.factorize(key)
    w = np.ones(src.size) if weight is None else weight
    if rule == "sum":
        merged = np.bincount(codes, weights=w, minlength=keep.size)
    else:
        merged = pd.Series(w).groupby(codes, sort=True).agg(rule).to_numpy()
    return keep, merged


def write_edgelist(net: Network, path: Path, *, delimiter: str = "\t",
                   weight: bool = True) -> None:
    """Write ``source<TAB>target<TAB>weight`` lines (see the module docstring)."""
    delim = delimiter_option(delimiter)
    ids = net.actors["id"].astype(str)
    bad_chars = "\t\n\r" + (" " if delim == " " else delim)
    pattern = "[" + re.escape(bad_chars) + "]|^[#%]"
    bad = ids.str.contains(pattern, regex=True).to_numpy()
    if bad.any():
        offender = ids.iloc[int(np.flatnonzero(bad)[0])]
        raise InputError(f"actor id {offender!r} holds the delimiter, a tab or line break, "
                         "or starts with '#'/'%': a plain edge list cannot hold it; write "
                         "a link list (.csv) instead", field="id")
    text = net.links["source"].astype("str") + delim + net.links["target"].astype("str")
    if weight:
        w = net.links["weight"].to_numpy(dtype=np.float64, na_value=1.0)
        text = text + delim + pd.Series(number_texts(w), index=text.index, dtype="str")
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        for start in range(0, len(text), 200_000):
            chunk = text.iloc[start:start + 200_000]
            fh.write("\n".join(chunk.tolist()))
            fh.write("\n")


def number_texts(values: np.ndarray) -> np.ndarray:
    """Shortest round-trip texts of floats, integers without a decimal point."""
    values = np.asarray(values, dtype=np.float64)
    whole = np.isfinite(values) & (values == np.round(values)) & (np.abs(values) < 1e16)
    out = values.astype(str)
    if whole.any():
        out = out.astype(object)
        out[whole] = values[whole].astype(np.int64).astype(str)
    return out


def _sniff(head: str, path: Path) -> bool:
    """Lines of 2 or 3 fields (most of them, or all but one: a short file with one
    ragged line is an edge list whose reader names that line), the third mostly a
    number."""
    lines = head_lines(head, 50, comments="#%")
    if not lines:
        return False
    delim = _delimiter(None, lines)
    rows = [_split(ln, delim) for ln in lines]
    if {f.lower() for f in rows[0]} & LIST_WORDS:
        return False  # the header of an actor or link list, not a line of ids
    start = 1 if _has_header(rows[0], rows[1] if len(rows) > 1 else None) else 0
    body = rows[start:] or rows
    widths = [len(r) for r in body]
    width = max(set(widths), key=widths.count)
    fit = widths.count(width)
    if width not in (2, 3) or (fit < 0.8 * len(widths) and not fit >= max(2, len(widths) - 1)):
        return False
    if width == 3:
        thirds = [r[2] for r in body if len(r) == 3]
        return sum(_is_number(x) for x in thirds) >= 0.5 * len(thirds)
    return True


register(
    "edgelist",
    extensions=(".csv", ".tsv", ".txt", ".edges", ".edgelist", ".el", ".ncol"),
    description="plain edge list: source target [weight] per line, tab, comma, "
                "semicolon, pipe or space separated, optional header",
    reader=read_edgelist,
    writer=write_edgelist,
    sniff=_sniff,
    priority=80,
    write_priority=40,
    keeps="linked actor ids, one line per link, weights; no isolates, kinds, attributes "
          "or direction (reader option, default undirected)",
)

__all__ = ["DUPLICATE_RULES", "combine_duplicates", "delimiter_option", "read_edgelist",
           "write_edgelist"]
