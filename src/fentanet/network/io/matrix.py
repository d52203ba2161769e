"""CSV/TSV adjacency matrices with row and column labels.

The layout of the UCINET covert-networks collection and of most case files: a header
row (a corner cell, empty or not, then the column labels), then one row per actor (its
label, then its cells). A header without the corner cell (one field fewer than the
rows) is accepted too. Handles a UTF-8 BOM, CRLF or LF, quoted or bare labels, comma,
semicolon, tab or space delimiters, a trailing delimiter, weighted or binary cells;
empty cells are 0. Row and column labels must be the same set; the column order may
differ from the row order. Parsing is columnar (pyarrow), so thousands of actors read in
a fraction of a second.

A cell ``M[i][j]`` becomes a link from row i to column j with ``weight`` = the cell;
zero cells are no link. ``directed=None`` (default) reads a symmetric matrix as an
undirected network (one link per pair, the diagonal as self-loops) and any other as
directed; ``directed=False`` on an asymmetric matrix takes the larger of the two cells as
the pair's weight, as the UCINET collection symmetrises.

What round-trips through write and read: actor ids (isolates included) and, per ordered
pair (per unordered pair when undirected), the summed weight of its links; a link of
weight 0 is no link. Directedness survives when the matrix is asymmetric (pass
``directed=`` to read a symmetric directed network back as directed). Kinds, attributes,
phases and parallel links are not kept: use the link list for those.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from fentanet.errors import InputError
from fentanet.network.io import atomic_path, read_head, register
from fentanet.network.io._text import (
    TypeConversion,
    format_number,
    head_lines,
    header_fields,
    load,
    read_table,
    sniff_delimiter,
    split_header,
)
from fentanet.network.model import Network

DELIMITERS = ",;\t|"

MAX_ACTORS = 10_000
"""The largest network the matrix writers write by default: a matrix holds n² cells
(10^8 at 10,000 actors, a file of at least 200 MB, nearly all zeros). Beyond it they
refuse with an :class:`InputError` pointing to the link list; ``max_actors=`` raises the
limit. The writers stream one row at a time, so memory stays O(n + links)."""


def check_size(n: int, max_actors: int, what: str) -> None:
    """Refuse to write an n x n matrix above ``max_actors`` (see :data:`MAX_ACTORS`)."""
    if n > max_actors:
        raise InputError(f"{n:,} actors make a {what} of {n * n:,} cells; the limit is "
                         f"{max_actors:,} actors (max_actors=). Write a link list (.csv "
                         "links, .graphml, .json, .net) instead: it holds only the links",
                         field="max_actors")


def _delimiter(lines: list[str]) -> str:
    found = sniff_delimiter(lines, DELIMITERS)
    return found or " "


def parse_matrix(raw: bytes | str, *, file: Path | str | None = None
                 ) -> tuple[list[str], sp.coo_array]:
    """Row labels and the square matrix of cells (rows and columns in row-label order)."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    sample = head_lines(raw[:65536].decode("utf-8", errors="ignore"), 5)
    if not sample:
        raise InputError("empty matrix; expected a header row of labels", file=file)
    delim = _delimiter(sample)
    quoting = True
    if delim == " ":
        raw = re.sub(rb"(?m)^[ \t]+|[ \t]+(?=\r?$)", b"", re.sub(rb"[ \t]+", b" ", raw))
    head, body, head_line = split_header(raw, quoting=quoting)
    raw_header = header_fields(head, delim, quoting)
    header = list(raw_header)
    while len(header) > 1 and header[-1] == "":  # trailing delimiter
        header.pop()
    first_body = head_line + head.count(b"\n") + 1
    first_row, _, _ = split_header(body, quoting=quoting)
    body_sample = [first_row.decode("utf-8")] if first_row.strip() else []
    width_row = len(header_fields(first_row, delim, quoting)) if body_sample \
        else len(raw_header)
    # rows end with a delimiter too when the header does (one empty field more)
    trailing = len(raw_header) > len(header) and width_row == len(raw_header) and \
        len(raw_header) - len(header) == 1 and header[0] == ""
    if not trailing and len(raw_header) > len(header) and width_row == len(header) + 2:
        trailing = True  # header without a corner cell, rows and header end with it
    width = width_row - (1 if trailing else 0)
    cols = header if width == len(header) + 1 else header[1:]
    n = len(cols)
    if n == 0:
        raise InputError("the header row has no column labels", file=file, line=head_line)
    for c in cols:
        if not c:
            raise InputError("a column label in the header is empty", file=file,
                             line=head_line)
    if len(set(cols)) != n:
        dup = next(c for c in cols if cols.count(c) > 1)
        raise InputError(f"column label '{dup}' appears twice in the header", file=file,
                         line=head_line)
    names = ["label"] + [f"c{j}" for j in range(n)]
    if trailing:
        names.append("_trailing")
    options = dict(path=file, delimiter=delim, names=names, first_line=first_body,
                   quoting=quoting, what="row",
                   fields=f"(a label, then one value for each of the {n} column labels): "
                          "ragged matrix")
    try:  # numbers parsed by Arrow; text cells (or spaces around numbers) fall back
        table = read_table(body, types={f"c{j}": pa.float64() for j in range(n)},
                           **options)
    except TypeConversion:
        table = read_table(body, **options)
    if table.n_rows != n:
        last = table.line(table.n_rows - 1) if table.n_rows else head_line
        raise InputError(f"{table.n_rows} rows for {n} column labels; an adjacency matrix "
                         "must be square (truncated file?)", file=file, line=last)
    if trailing and table.columns["_trailing"].null_count != n:
        raise InputError("ragged matrix: a row has a value after the last column",
                         file=file, line=table.line(0))
    label_col = table.columns["label"]
    if label_col.null_count:
        row = int(np.flatnonzero(pc.is_null(label_col).to_numpy(zero_copy_only=False))[0])
        raise InputError("a row has no label", file=file, line=table.line(row))
    labels = [s.strip() for s in label_col.to_pylist()]
    seen: dict[str, int] = {}
    for i, lab in enumerate(labels):
        if not lab:
            raise InputError("a row has no label", file=file, line=table.line(i))
        if lab in seen:
            raise InputError(f"row label '{lab}' appears twice (also line "
                             f"{table.line(seen[lab])})", file=file, line=table.line(i))
        seen[lab] = i
    if set(labels) != set(cols):
        known = set(cols)
        row = next(i for i, lab in enumerate(labels) if lab not in known)
        missing = [c for c in cols if c not in seen]
        shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
        raise InputError(f"row label '{labels[row]}' is not a column label; expected the "
                         f"same actors in the rows as in the header (no row for: {shown})",
                         file=file, line=table.line(row))
    col_to_row = pd.Index(labels).get_indexer(cols)
    rows_list, cols_list, vals_list = [], [], []
    for j in range(n):
        col = table.columns[f"c{j}"]
        values = _numbers(col, table, file, cols[j])
        nz = np.flatnonzero(values)
        if nz.size:
            rows_list.append(nz)
            cols_list.append(np.full(nz.size, col_to_row[j]))
            vals_list.append(values[nz])
    if rows_list:
        r = np.concatenate(rows_list)
        c = np.concatenate(cols_list)
        v = np.concatenate(vals_list)
    else:
        r = c = np.zeros(0, dtype=np.int64)
        v = np.zeros(0)
    order = np.lexsort((c, r))
    mat = sp.coo_array((v[order], (r[order], c[order])), shape=(n, n))
    return labels, mat


def _numbers(col: pa.ChunkedArray, table, file, label: str) -> np.ndarray:
    if pa.types.is_floating(col.type):
        arr = col.to_numpy().astype(np.float64, copy=True)  # missing cells are NaN: 0
        nan = np.isnan(arr)
        if nan.any():
            arr[nan & pc.is_null(col).to_numpy(zero_copy_only=False)] = 0.0
        if not np.isfinite(arr).all():
            row = int(np.flatnonzero(~np.isfinite(arr))[0])
            raise InputError(f"cell for column '{label}' must be finite, got {arr[row]}",
                             file=file, line=table.line(row), field=label)
        return arr
    trimmed = pc.utf8_trim_whitespace(col)
    try:
        values = pc.cast(trimmed, pa.float64())
    except pa.ArrowInvalid:
        ok = pc.match_substring_regex(
            trimmed, r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$|^$")
        ok = pc.fill_null(ok, True).to_numpy(zero_copy_only=False)
        row = int(np.flatnonzero(~ok)[0]) if (~ok).any() else 0
        text = str(trimmed[row].as_py())
        shown = text if len(text) <= 40 else text[:40] + "..."
        raise InputError(f"cell for column '{label}' must be a number, got '{shown}'",
                         file=file, line=table.line(row), field=label) from None
    arr = values.to_numpy(zero_copy_only=False).astype(np.float64, copy=True)
    missing = np.isnan(arr) & pc.is_null(values).to_numpy(zero_copy_only=False)
    arr[missing] = 0.0
    bad = ~np.isfinite(arr)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(f"cell for column '{label}' must be finite, got "
                         f"'{trimmed[row].as_py()}'", file=file, line=table.line(row),
                         field=label)
    return arr


def matrix_to_network(labels: list[str], values, *, directed: bool | None = None,
                      name: str = "", source: str | None = None, phase=None) -> Network:
    """A network from a labelled square matrix (dense or sparse); see the module docstring."""
    mat = sp.csr_array(values)
    mat.sum_duplicates()
    mat.eliminate_zeros()
    if directed is None:
        directed = (mat != mat.T).nnz > 0
    if not directed:
        mat = mat.maximum(mat.T)
        mat = sp.triu(mat, format="csr")
    coo = mat.tocoo()
    order = np.lexsort((coo.col, coo.row))
    links = None
    if phase is not None:
        links = pd.DataFrame({"phase": np.full(order.size, phase, dtype=object)})
    return Network.from_indices([str(x) for x in labels], coo.row[order], coo.col[order],
                                weight=coo.data[order], links=links,
                                directed=bool(directed), name=name, source=source)


def read_matrix(path: Path, *, directed: bool | None = None) -> Network:
    """Read a CSV/TSV adjacency matrix; see the module docstring."""
    labels, mat = parse_matrix(load(path), file=path)
    return matrix_to_network(labels, mat, directed=directed, source=str(path))


def network_to_matrix(net: Network, weight: str = "weight") -> sp.csr_array:
    """Sparse matrix of summed link weights (symmetric for undirected networks)."""
    return net.adjacency(weight=weight if weight in net.links else None)


def write_matrix(net: Network, path: Path, *, delimiter: str | None = None,
                 max_actors: int = MAX_ACTORS) -> None:
    """Write a labelled adjacency matrix (tab-delimited for .tsv/.txt, else comma).

    Only ids and link weights survive (see the module docstring). Networks of more than
    ``max_actors`` actors are refused (see :data:`MAX_ACTORS`); rows are streamed.
    """
    check_size(net.n_actors, max_actors, "matrix")
    if delimiter is None:
        delimiter = "\t" if path.suffix.lower() in (".tsv", ".txt") else ","
    if delimiter not in (",", "\t", ";", "|"):
        raise InputError(f"unknown delimiter {delimiter!r}; expected ',', tab, ';' or '|'",
                         field="delimiter")
    mat = network_to_matrix(net)
    ids = [str(i) for i in net.ids]
    labels = [_quote(i, delimiter) for i in ids]
    n = len(ids)
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        fh.write(delimiter.join(['""', *labels]) + "\n")
        for i in range(n):
            cells = ["0"] * n
            lo, hi = mat.indptr[i], mat.indptr[i + 1]
            for j, v in zip(mat.indices[lo:hi], mat.data[lo:hi], strict=True):
                cells[j] = format_number(v)
            fh.write(labels[i] + delimiter + delimiter.join(cells) + "\n")


def _quote(label: str, delimiter: str) -> str:
    """A label in double quotes (doubled inside), so no delimiter in it is miscounted."""
    return '"' + label.replace('"', '""') + '"'


def _sniff(head: str, path: Path) -> bool:
    """A header of distinct labels and rows that mostly start with one of them and hold
    mostly numbers: the shape of a matrix, even a ragged or truncated one; or an empty
    corner, then labels (distinct or not), then rows of a label and numbers."""
    lines = head_lines(head, 400)
    if len(lines) < 2:
        return False
    delim = _delimiter(lines[:40])
    if delim == " ":
        lines = [" ".join(ln.split()) for ln in lines]
    try:
        rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delim))
    except csv.Error:
        return False
    rows = [[c.strip() for c in r] for r in rows if r]
    header, body = list(rows[0]), rows[1:]
    while len(header) > 1 and header[-1] == "":
        header.pop()
    if not body or len(header) < 2:
        return False
    first = body[0][:-1] if len(body[0]) > 1 and body[0][-1] == "" else body[0]
    if len(first) == len(header) + 1 and header[0] != "":
        labels = header  # no corner cell
    else:
        labels, corner = header[1:], header[0]
        if corner and (corner in labels or len(labels) < 2):
            return False  # a named corner and one label: a line of an edge list
    if not labels:
        return False
    if header[0] == "" and _numeric_rows(body, len(header)):
        return True  # an empty corner, labels (even repeated), then rows of numbers: a
        # (maybe bad) matrix, whose reader names what is wrong
    if len(set(labels)) != len(labels):
        return False
    whole = len(head) < 60_000 and len(lines) < 400
    if labels is header and whole and len(body) == len(labels) and \
            not any(_number(x) or x.lower() in _LIST_WORDS for x in labels) and \
            all(len(r) == len(header) + 1 for r in body) and \
            _numeric_rows(body, len(header) + 1):
        return True  # no corner cell: n labels, then n rows of a label and n numbers
    known = set(labels)
    rows_in = [r for r in body if r[0] in known]
    if len(rows_in) < 0.8 * len(body) or len({r[0] for r in rows_in}) < len(rows_in):
        return False  # rows of a matrix start with distinct labels
    if len(head) < 60_000 and len(lines) < 400 and len(body) <= len(labels) / 2:
        return False  # the whole file is here: far fewer rows than labels is no matrix
    cells = [c for r in rows_in for c in r[1:]]
    numeric = sum(_numeric_or_empty(c) for c in cells)
    return bool(cells) and numeric >= 0.5 * len(cells)


_LIST_WORDS = {"source", "target", "from", "to", "weight", "id", "kind", "node1", "node2",
               "src", "dst", "ego", "alter", "sender", "receiver", "tail", "head"}
"""Header names of edge and link lists: a header holding one is not a matrix's labels."""


def _number(text: str) -> bool:
    return bool(text) and _numeric_or_empty(text)


def _numeric_rows(body: list[list[str]], width: int) -> bool:
    """Most rows are a non-empty label then numbers, about ``width`` fields wide."""
    shaped = [r for r in body if r[0] and abs(len(r) - width) <= 1]
    if len(shaped) < 0.8 * len(body):
        return False
    cells = [c for r in shaped for c in r[1:]]
    return bool(cells) and sum(_numeric_or_empty(c) for c in cells) >= 0.9 * len(cells)


def _numeric_or_empty(text: str) -> bool:
    if not text:
        return True
    try:
        float(text)
    except ValueError:
        return False
    return True


register(
    "matrix",
    extensions=(".csv", ".tsv", ".txt"),
    description="adjacency matrix with row and column labels (CSV/TSV)",
    reader=read_matrix,
    writer=write_matrix,
    sniff=_sniff,
    priority=12,
    write_priority=50,
    keeps="ids (isolates too), summed weight per pair, direction when asymmetric; no "
          "kinds, attributes, phases or parallel links",
)

__all__ = ["matrix_to_network", "network_to_matrix", "parse_matrix", "read_head",
           "read_matrix", "write_matrix"]
