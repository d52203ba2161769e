"""Cytoscape SIF (simple interaction format): ``nodeA interaction nodeB [nodeC ...]``.

Each line names a source, an interaction type and one or more targets (one link per
target); a line with a single name is an isolated actor. Fields are tab-separated when
the file holds a tab (names may then contain spaces), else separated by runs of spaces.
A first line such as ``Node1 Interaction Node2`` (the words source/node1, interaction/
relation/type, target/node2, in any case) is a header and skipped (``header=`` forces
either way).

An interaction that is a fentanet link kind (``supplies``, ``member_of``, ``tie``, ...)
becomes the link's kind; any other (``pp``, ``interacts_with``) is kept in the link
column ``interaction`` and the link is a ``tie``. SIF says nothing of direction:
``directed=False`` by default (the interaction lists of the research data are
undirected), ``directed=True`` reads arcs. Repeated lines are parallel links
(``duplicates=`` as for edge lists merges them; weights are 1).

The writer writes one tab-separated line per link (the ``interaction`` column, else the
kind) and one line per isolated actor. What round-trips: ids (not those with a tab or
a line break), isolated actors (in a network with at least one link), kinds or
interaction names, parallel links; not weights or other attributes, and direction is
the reader's option.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from fentanet.errors import InputError
from fentanet.network.io import atomic_path, register
from fentanet.network.io._text import head_lines, load
from fentanet.network.io.edgelist import DUPLICATE_RULES, combine_duplicates
from fentanet.network.kinds import LINK_KINDS
from fentanet.network.model import Network, Origin

_FIRST = {"node1", "source", "source_node", "sourcenode", "node_a", "nodea", "from"}
_MIDDLE = {"interaction", "relation", "relationship", "type", "interaction_type", "edge"}
_LAST = {"node2", "target", "target_node", "targetnode", "node_b", "nodeb", "to"}


def _fields(line: str, tabs: bool) -> list[str]:
    if tabs:
        return [f.strip() for f in line.rstrip("\r\n").split("\t") if f.strip()]
    return line.split()


def _is_header(fields: list[str]) -> bool:
    low = [f.lower() for f in fields]
    return len(low) == 3 and low[0] in _FIRST and low[1] in _MIDDLE and low[2] in _LAST


def read_sif(path: Path, *, directed: bool = False, header: bool | None = None,
             duplicates: str = "keep") -> Network:
    """Read a SIF file; see the module docstring."""
    if duplicates not in DUPLICATE_RULES:
        raise InputError(f"unknown rule for repeated pairs {duplicates!r}; expected one of "
                         f"{', '.join(DUPLICATE_RULES)}", field="duplicates")
    text = load(path).decode("utf-8")
    tabs = "\t" in text
    ids: dict[str, int] = {}
    src, dst, rel, lines = [], [], [], []
    first = True
    for lineno, line in enumerate(text.split("\n"), start=1):
        fields = _fields(line, tabs)
        if not fields:
            continue
        if first:
            first = False
            if (header is None and _is_header(fields)) or header:
                continue
        if len(fields) == 2:
            raise InputError(f"a SIF line holds 'source interaction target...' or a lone "
                             f"name, got 2 fields ('{fields[0][:30]}', '{fields[1][:30]}')",
                             file=path, line=lineno)
        a = ids.setdefault(fields[0], len(ids))
        for name in fields[2:]:
            b = ids.setdefault(name, len(ids))
            src.append(a)
            dst.append(b)
            rel.append(fields[1])
            lines.append(lineno)
    if not ids:
        raise InputError("no interactions or names after the header", file=path)
    src_a = np.asarray(src, dtype=np.int32)
    dst_a = np.asarray(dst, dtype=np.int32)
    rel_s = pd.Series(rel, dtype=object)
    low = rel_s.str.lower()
    known = low.isin(LINK_KINDS).all() if len(rel) else True
    links = pd.DataFrame({"kind": low if known else pd.Series(["tie"] * len(rel))})
    if not known:
        links["interaction"] = pd.Series(rel, dtype="str")
    line_arr = np.asarray(lines)
    keep, _ = combine_duplicates(src_a, dst_a, None, n_actors=len(ids), directed=directed,
                                 rule=duplicates,
                                 groups=pd.factorize(rel_s)[0].astype(np.int64)
                                 if len(rel) else None)
    if keep is not None:
        src_a, dst_a, line_arr = src_a[keep], dst_a[keep], line_arr[keep]
        links = links.iloc[keep].reset_index(drop=True)
    return Network.from_indices(list(ids), src_a, dst_a, links=links, directed=directed,
                                source=str(path),
                                origin=Origin(file=str(path), link_lines=line_arr))


def write_sif(net: Network, path: Path) -> None:
    """Write a tab-separated SIF file; see the module docstring."""
    ids = pd.Series(net.ids, dtype=object).astype(str)
    bad = ids.str.contains(r"[\t\r\n]", regex=True).to_numpy()
    if bad.any():
        raise InputError(f"actor id {ids[bad].iloc[0]!r} holds a tab or a line break; SIF "
                         "cannot hold it", field="id")
    if "interaction" in net.links:
        inter = net.links["interaction"].astype(object)
        rel = np.where(inter.notna() & (net.links["kind"] == "tie"), inter,
                       net.links["kind"]).astype(str)
    else:
        rel = net.links["kind"].to_numpy(dtype=object).astype(str)
    badrel = [r for r in rel if re.search(r"[\t\r\n]", r) or not r.strip()]
    if badrel:
        raise InputError(f"interaction {badrel[0]!r} is empty or holds a tab or a line "
                         "break; SIF cannot hold it", field="interaction")
    used = np.zeros(net.n_actors, dtype=bool)
    used[net.source_index] = True
    used[net.target_index] = True
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        for s, r, t in zip(net.links["source"].tolist(), rel.tolist(),
                           net.links["target"].tolist(), strict=True):
            fh.write(f"{s}\t{r}\t{t}\n")
        for name in ids[~used].tolist():
            fh.write(f"{name}\n")


def _sniff(head: str, path: Path) -> bool:
    """SIF's shape: a SIF header, or, in a ``.sif`` file, anything a format with a
    signature did not claim (those are tried first), so that the SIF reader says what
    is wrong with a bad line rather than another format taking it (a lone ``a pp``
    line read as an edge list made the interaction an actor)."""
    if path.suffix.lower() == ".sif":
        return True
    lines = head_lines(head, 30)
    if not lines:
        return False
    tabs = "\t" in head
    rows = [_fields(ln, tabs) for ln in lines]
    if _is_header(rows[0]):
        return True
    return False


register(
    "sif",
    extensions=(".sif",),
    description="Cytoscape simple interaction format: source interaction target...",
    reader=read_sif,
    writer=write_sif,
    sniff=_sniff,
    priority=85,
    keeps="ids, isolates, kinds or interaction names, parallel links; no weights or "
          "attributes; direction is a reader option (default undirected)",
)

__all__ = ["read_sif", "write_sif"]
