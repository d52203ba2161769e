"""CSV/TSV adjacency matrices with row and column labels.

The layout of the UCINET covert-networks collection and of most case files: a header
row (an empty or arbitrary corner cell, then the column labels), then one row per actor
(its label, then its cells). Handles a UTF-8 BOM, CRLF or LF, quoted or bare labels,
comma, semicolon or tab delimiters, weighted or binary cells. Row and column labels must
be the same set; the column order may differ from the row order.

A cell ``M[i][j]`` becomes a link from row i to column j with ``weight`` = the cell;
zero cells are no link. ``directed=None`` (default) reads a symmetric matrix as an
undirected network (one link per pair) and any other as directed; ``directed=False`` on
an asymmetric matrix takes the larger of the two cells as the pair's weight, as the UCINET
collection symmetrises.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from fentanet.errors import InputError
from fentanet.network.io import atomic_path, read_head, register
from fentanet.network.model import Network

DELIMITERS = ",;\t"


def _dialect(head: str) -> str:
    first = head.splitlines()[0] if head else ""
    counts = {d: first.count(d) for d in DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def parse_matrix(text: str, *, file: Path | str | None = None) -> tuple[list[str], np.ndarray]:
    """Labels and the square value matrix (rows and columns in row-label order)."""
    delim = _dialect(text)
    rows = list(csv.reader(io.StringIO(text), delimiter=delim))
    lines = [i + 1 for i, r in enumerate(rows) if any(c.strip() for c in r)]
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise InputError("empty matrix; expected a header row of labels", file=file)
    header = [c.strip() for c in rows[0]]
    cols = header[1:]
    while cols and cols[-1] == "":  # trailing delimiter
        cols.pop()
    n = len(cols)
    if n == 0:
        raise InputError("the header row has no column labels", file=file, line=lines[0])
    if len(set(cols)) != n:
        dup = next(c for c in cols if cols.count(c) > 1)
        raise InputError(f"column label '{dup}' appears twice in the header", file=file,
                         line=lines[0])
    body = rows[1:]
    if len(body) != n:
        raise InputError(f"{len(body)} rows for {n} column labels; an adjacency matrix "
                         "must be square (truncated file?)", file=file,
                         line=lines[-1])
    labels: list[str] = []
    values = np.zeros((n, n), dtype=np.float64)
    for i, row in enumerate(body):
        cells = row[1:]
        while len(cells) > n and cells[-1].strip() == "":
            cells.pop()
        if len(cells) != n:
            raise InputError(f"row has {len(cells)} values, expected {n} (one per column "
                             "label): ragged matrix", file=file, line=lines[i + 1])
        labels.append(row[0].strip())
        for j, cell in enumerate(cells):
            text_cell = cell.strip()
            if not text_cell:
                continue
            try:
                values[i, j] = float(text_cell)
            except ValueError:
                raise InputError(f"cell for column '{cols[j]}' must be a number, got "
                                 f"'{text_cell[:40]}'", file=file, line=lines[i + 1],
                                 field=cols[j]) from None
            if not np.isfinite(values[i, j]):
                raise InputError(f"cell for column '{cols[j]}' must be finite, got "
                                 f"'{text_cell}'", file=file, line=lines[i + 1],
                                 field=cols[j])
    if set(labels) != set(cols):
        extra = sorted(set(labels) ^ set(cols))[:5]
        raise InputError(f"row labels and column labels differ (e.g. {extra}); expected "
                         "the same actors in both", file=file)
    if len(set(labels)) != n:
        dup = next(c for c in labels if labels.count(c) > 1)
        raise InputError(f"row label '{dup}' appears twice", file=file)
    order = pd.Index(cols).get_indexer(labels)
    return labels, values[:, order]


def matrix_to_network(labels: list[str], values: np.ndarray, *, directed: bool | None = None,
                      name: str = "", source: str | None = None,
                      phase=None) -> Network:
    """A network from a labelled square matrix; see the module docstring."""
    if directed is None:
        directed = not np.array_equal(values, values.T)
    if directed:
        i, j = np.nonzero(values)
        w = values[i, j]
    else:
        sym = np.maximum(values, values.T)
        i, j = np.nonzero(np.triu(sym))
        w = sym[i, j]
    ids = np.asarray(labels, dtype=object)
    links = pd.DataFrame({"source": ids[i], "target": ids[j],
                          "weight": w})
    if phase is not None:
        links["phase"] = phase
    return Network(pd.DataFrame({"id": labels}), links, directed=directed, name=name,
                   source=source)


def read_matrix(path: Path, *, directed: bool | None = None, phase=None) -> Network:
    """Read a CSV/TSV adjacency matrix; see the module docstring."""
    text = path.read_bytes().decode("utf-8-sig")
    labels, values = parse_matrix(text, file=path)
    return matrix_to_network(labels, values, directed=directed, name=path.stem,
                             source=str(path), phase=phase)


def network_to_matrix(net: Network, weight: str = "weight") -> np.ndarray:
    """Dense matrix of summed link weights (symmetric for undirected networks)."""
    return net.adjacency(weight=weight if weight in net.links else None).toarray()


def write_matrix(net: Network, path: Path, *, delimiter: str | None = None) -> None:
    """Write a labelled adjacency matrix (tab-delimited for .tsv/.txt, else comma).

    Only ids and link weights survive: use actor and link lists to keep kinds and
    attributes.
    """
    if delimiter is None:
        delimiter = "\t" if path.suffix.lower() in (".tsv", ".txt") else ","
    mat = network_to_matrix(net)
    ids = net.ids.tolist()
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=delimiter, lineterminator="\n")
        w.writerow(["", *ids])
        for label, row in zip(ids, mat, strict=True):
            w.writerow([label, *(_num(v) for v in row)])


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def _sniff(head: str, path: Path) -> bool:
    lines = [ln for ln in head.splitlines() if ln.strip()]
    if len(lines) < 2:
        return False
    delim = _dialect(head)
    try:
        rows = list(csv.reader(io.StringIO("\n".join(lines[:50])), delimiter=delim))
    except csv.Error:
        return False
    header = [c.strip() for c in rows[0]]
    if len(header) < 2:
        return False
    corner = header[0]
    labels = set(header[1:])
    if corner and corner in labels:
        return False
    firsts = [r[0].strip() for r in rows[1:] if r]
    if not firsts or not all(f in labels for f in firsts[:-1] or firsts):
        return False
    width = len(header)
    return all(len(r) >= width - 1 for r in rows[1:-1])


register(
    "matrix",
    extensions=(".csv", ".tsv", ".txt"),
    description="adjacency matrix with row and column labels (CSV/TSV)",
    reader=read_matrix,
    writer=write_matrix,
    sniff=_sniff,
    priority=20,
)

__all__ = ["matrix_to_network", "parse_matrix", "read_head", "read_matrix", "write_matrix"]
