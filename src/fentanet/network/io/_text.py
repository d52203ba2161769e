"""Shared helpers of the text formats: decoding, delimited tables, typed columns.

Every text reader goes through :func:`load` (bytes checked once by
:func:`fentanet.network.textfile.clean_bytes`: no NUL bytes, valid UTF-8 or UTF-16 with a
BOM, a UTF-8 BOM removed), so binary or undecodable input fails
with the line of the first bad byte. Delimited tables are parsed by pyarrow's CSV reader
(fast, multi-threaded) with every column read as text; when pyarrow rejects the input,
the same text is scanned line by line in Python to name the offending line. Row-to-line
numbers are computed only when an error needs one (:class:`RowLines`).

Column types are inferred the same way for every text format (:func:`infer_column`):
integers, then decimal numbers, then ``true``/``false``, else text; an empty unquoted
cell is a missing value.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from fentanet.errors import InputError
from fentanet.network.textfile import clean_bytes, line_at

BLOCK = 1 << 20

csv.field_size_limit(1 << 30)


# ---------------------------------------------------------------------- bytes and text
def read_bytes(path: Path) -> bytes:
    """The bytes of a file; a folder, a missing or an unreadable file raise InputError."""
    try:
        return Path(path).read_bytes()
    except IsADirectoryError:
        raise InputError("is a folder; expected a network file", file=path) from None
    except FileNotFoundError:
        raise InputError("no such file", file=path) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=path) from None


def load(path: Path) -> bytes:
    """The checked UTF-8 bytes of a text file (see :func:`clean_bytes`); an empty or
    blank file raises."""
    raw = clean_bytes(read_bytes(path), path)
    if not raw.strip():
        raise InputError("empty file; expected a network" if not raw else
                         "file holds only blank space; expected a network", file=path)
    return raw


def decode_head(raw: bytes, path: Path | str | None) -> str:
    """The head of a file as text, tolerating a multi-byte character cut at its end."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw[: len(raw) // 2 * 2].decode("utf-16", errors="ignore")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise InputError("binary content (a NUL byte); expected a text network file",
                         file=path, line=line_at(raw, nul))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(raw) - 3 and exc.reason == "unexpected end of data":
            return raw[: exc.start].decode("utf-8")
        raise InputError(f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); expected a text "
                         "file saved as UTF-8", file=path, line=line_at(raw, exc.start)
                         ) from None


def head_lines(head: str, n: int = 50, *, comments: str = "") -> list[str]:
    """The first ``n`` non-blank lines of a head (without comment lines).

    The last line of a head cut at a size limit is dropped, as it may be incomplete.
    """
    lines = [ln.rstrip("\r") for ln in head.split("\n")]  # not str.splitlines: ids
    if len(head) >= 60_000 and len(lines) > 1:               # may hold \x0b, \x1c, ...
        lines = lines[:-1]
    out = []
    for ln in lines:
        s = ln.strip()
        if not s or (comments and s[0] in comments):
            continue
        out.append(ln)
        if len(out) >= n:
            break
    return out


# ---------------------------------------------------------------------- delimiters
def sniff_delimiter(lines: Sequence[str], candidates: str = ",\t;|", *,
                    ragged: bool = True) -> str | None:
    """The delimiter found the same number of times (at least once) on every line.

    Counted outside double quotes; the most frequent such candidate wins, ties going to
    the earlier one. When none fits every line: with ``ragged`` the most frequent
    candidate of the first line, else ``None``.
    """
    best, best_count = None, 0
    for d in candidates:
        counts = {_count_outside_quotes(ln, d) for ln in lines}
        if len(counts) == 1:
            c = counts.pop()
            if c > best_count:
                best, best_count = d, c
    if best is None and ragged:  # the most frequent candidate on the first line
        first = lines[0] if lines else ""
        scores = {d: _count_outside_quotes(first, d) for d in candidates}
        d = max(scores, key=lambda k: scores[k])
        best = d if scores[d] else None
    return best


WHITESPACE = " "
"""The delimiter that stands for runs of spaces and tabs (outside double quotes)."""

# a quote opens a quoted cell only at the start of a cell (elsewhere it is a character, as
# CSV reads it)
_RUNS = re.compile(rb'(?P<quoted>(?<![^ \t\r\n])"(?:[^"]|"")*")'
                   rb'|(?P<edge>(?m:^[ \t]+|[ \t]+(?=\r?$)))|[ \t]+')
_QUOTED_CELL = re.compile(r'(?<![^\t])"(?:[^"]|"")*"')


def normalise_whitespace(raw: bytes) -> bytes:
    """Runs of spaces and tabs outside double-quoted cells become one tab; those at the
    start or end of a line go. A whitespace-delimited text becomes a tab-delimited one."""
    def one(m: re.Match[bytes]) -> bytes:
        if m.group("quoted") is not None:
            return m.group(0)
        return b"" if m.group("edge") is not None else b"\t"

    return _RUNS.sub(one, raw)


def whitespace_fields(line: str) -> int:
    """The number of fields of ``line`` split at runs of spaces and tabs outside double
    quotes."""
    text = normalise_whitespace(line.encode("utf-8")).decode("utf-8")
    return _QUOTED_CELL.sub("", text).count("\t") + 1 if text else 0


def sniff_list_delimiter(lines: Sequence[str], candidates: str = ",\t;|") -> str | None:
    """The delimiter of a list with a header row, from its first ``lines`` (header first).

    A candidate found on the header outside double quotes wins, as
    :func:`sniff_delimiter` finds it there (a comma-separated file whose quoted names hold
    spaces stays comma-separated), unless the header's tabs come in runs with other
    whitespace (columns aligned with tabs and spaces). Otherwise, when the header and every
    other line split at runs of spaces and tabs into the same number (two or more) of
    fields, :data:`WHITESPACE`; else ``None``.
    """
    if not lines:
        return None
    header = lines[0]
    found = sniff_delimiter(lines[:1], candidates)
    aligned = found == "\t" and re.search(r"\t[ \t]|[ \t]\t", header.strip()) is not None
    if found is not None and not aligned:
        return found
    widths = {whitespace_fields(ln) for ln in lines}
    if len(widths) == 1 and widths.pop() >= 2:
        return WHITESPACE
    return found


def _count_outside_quotes(line: str, delim: str) -> int:
    if '"' not in line:
        return line.count(delim)
    n, inside = 0, False
    for ch in line:
        if ch == '"':
            inside = not inside
        elif ch == delim and not inside:
            n += 1
    return n


# ---------------------------------------------------------------------- row -> line
class RowLines:
    """Physical line numbers of the data rows of a delimited text, computed on demand.

    Supports ``len()`` and indexing, so it can stand in for an array in
    :class:`fentanet.network.model.Origin`.
    """

    def __init__(self, text: str | bytes, n_rows: int, *, delimiter: str, quoting: bool,
                 first_line: int = 1) -> None:
        self.text = text
        self.n_rows = n_rows
        self.delimiter = delimiter
        self.quoting = quoting
        self.first_line = first_line
        self._lines: list[int] | None = None

    def __len__(self) -> int:
        return self.n_rows

    def __getitem__(self, row: int) -> int:
        if self._lines is None:
            if isinstance(self.text, bytes):
                self.text = self.text.decode("utf-8")
            self._lines = [ln for ln, _ in iter_records(
                self.text, delimiter=self.delimiter, quoting=self.quoting,
                first_line=self.first_line)]
        if row < len(self._lines):
            return self._lines[row]
        return self.first_line


def iter_records(text: str, *, delimiter: str, quoting: bool, first_line: int = 1):
    """``(line, fields)`` of each non-blank record of a delimited text, in order."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter,
                        quoting=csv.QUOTE_MINIMAL if quoting else csv.QUOTE_NONE,
                        strict=False)
    prev = 0
    for fields in reader:
        start = prev + 1
        prev = reader.line_num
        if not fields:
            continue
        yield start + first_line - 1, fields


# ---------------------------------------------------------------------- delimited tables
class TypeConversion(ValueError):
    """A typed column of :func:`read_table` met a value of another type (callers retry
    reading the column as text to name the value and its line)."""


@dataclass
class Table:
    """A delimited table read as text: column name -> string array (null = missing)."""

    names: list[str]
    columns: dict[str, pa.ChunkedArray]
    n_rows: int
    lines: RowLines
    header_line: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def line(self, row: int) -> int:
        return self.lines[row]


def split_header(raw: bytes, *, quoting: bool = True) -> tuple[bytes, bytes, int]:
    """(header record, the rest, line number of the header): the first non-blank record.

    With ``quoting``, a line break inside double quotes does not end the header.
    """
    pos, line = 0, 1
    while True:
        end = raw.find(b"\n", pos)
        chunk = raw[pos:] if end < 0 else raw[pos:end]
        if chunk.strip() or end < 0:
            break
        pos, line = end + 1, line + 1
    if quoting:
        while end >= 0 and raw.count(b'"', pos, end) % 2 == 1:
            end = raw.find(b"\n", end + 1)
    if end < 0:
        return raw[pos:].rstrip(b"\r"), b"", line
    return raw[pos:end].rstrip(b"\r"), raw[end + 1:], line


def header_fields(header: bytes, delimiter: str, quoting: bool) -> list[str]:
    """The fields of a header record (quotes removed, spaces stripped)."""
    text = header.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter,
                           quoting=csv.QUOTE_MINIMAL if quoting else csv.QUOTE_NONE))
    return [f.strip() for f in rows[0]] if rows else []


def read_table(raw: bytes, *, path: Path | str | None, delimiter: str, names: list[str],
               first_line: int, quoting: bool = True, what: str = "row",
               fields: str | None = None, types: dict[str, pa.DataType] | None = None
               ) -> Table:
    """Parse delimited data rows (no header) into string columns named ``names``.

    ``raw`` holds the data rows only; ``first_line`` is the file line of its first byte.
    Every record must have ``len(names)`` fields (``fields`` describes them in the error,
    by default the names). Unquoted empty cells are missing
    values; quoted empty cells are empty strings.
    """
    width = len(names)
    lines = RowLines(raw, 0, delimiter=delimiter, quoting=quoting, first_line=first_line)
    if not raw.strip():
        empty = {n: pa.chunked_array([], type=pa.string()) for n in names}
        return Table(names, empty, 0, lines)
    synthetic = [f"c{i}" for i in range(width)]
    bad: list[Any] = []

    def on_invalid(row) -> str:
        bad.append(row)
        return "error"

    parse = pacsv.ParseOptions(
        delimiter=delimiter,
        quote_char='"' if quoting else False,
        double_quote=True,
        newlines_in_values=quoting and b'"' in raw,
        ignore_empty_lines=True,
        invalid_row_handler=on_invalid,
    )
    given = types or {}
    convert = pacsv.ConvertOptions(
        column_types={c: given.get(name, pa.string()) for c, name in zip(synthetic, names,
                                                                         strict=True)},
        null_values=[""],
        strings_can_be_null=True,
        quoted_strings_can_be_null=False,
    )
    # wide tables (matrices of thousands of columns) parse faster in bigger blocks
    block = max(BLOCK, min(64 * BLOCK, 200 * (raw.find(b"\n") + 1)))
    while True:
        read_opts = pacsv.ReadOptions(column_names=synthetic, block_size=block,
                                      use_threads=True)
        try:
            table = pacsv.read_csv(pa.py_buffer(raw), read_options=read_opts,
                                   parse_options=parse, convert_options=convert)
            break
        except (pa.ArrowInvalid, pa.ArrowException) as exc:
            if "straddl" in str(exc) and block <= len(raw):
                block = len(raw) + 1  # a line longer than a block: read as one block
                continue
            if given and "conversion error" in str(exc).lower():
                raise TypeConversion(str(exc)) from None
            _diagnose(raw.decode("utf-8"), path=path, delimiter=delimiter,
                      quoting=quoting, width=width, first_line=first_line, what=what,
                      fields=fields or "(" + ", ".join(names) + ")")
            raise InputError(f"cannot parse the {what}s ({str(exc).splitlines()[0][:160]})",
                             file=path) from None
    n = table.num_rows
    lines.n_rows = n
    if quoting and n and raw.count(b'"') % 2:  # a quote never closed takes in the rest
        last = lines[n - 1]
        _unclosed_quote(lines.text, last - first_line, delimiter, path, last)
    columns = {name: table.column(c) for name, c in zip(names, synthetic, strict=True)}
    return Table(list(names), columns, n, lines)


def _diagnose(text: str, *, path, delimiter: str, quoting: bool, width: int,
              first_line: int, what: str, fields: str) -> None:
    """Find the first record pyarrow could not take and raise an error naming its line."""
    try:
        for line, found in iter_records(text, delimiter=delimiter, quoting=quoting,
                                        first_line=first_line):
            if len(found) != width:
                if quoting:
                    _unclosed_quote(text, line - first_line, delimiter, path, line)
                raise InputError(f"{what} has {len(found)} field"
                                 f"{'' if len(found) == 1 else 's'}, expected {width} "
                                 f"{fields}", file=path, line=line)
    except csv.Error as exc:
        raise InputError(f"malformed quoting ({exc})", file=path) from None


def _unclosed_quote(text: str, skip: int, delimiter: str, path, line: int) -> None:
    """Raise when the record starting ``skip`` lines into ``text`` opens a quoted cell
    that the text never closes (Python's lenient reader takes the rest of the file into
    that cell; its strict mode says so)."""
    pos = 0
    for _ in range(skip):
        pos = text.index("\n", pos) + 1
    reader = csv.reader(io.StringIO(text[pos:], newline=""), delimiter=delimiter,
                        strict=True)
    try:
        next(reader, None)
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            raise InputError("unclosed quote: a cell opened with '\"' is never closed; "
                             "expected a closing '\"' (a quote inside a cell is doubled: "
                             "\"\")", file=path, line=line) from None


# ---------------------------------------------------------------------- typed columns
_INT = r"^[+-]?[0-9]+$"
_FLOAT = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"
_FLOAT_WORDS = {"nan", "inf", "+inf", "-inf", "infinity", "-infinity", "+infinity"}
_TRUE = {"true"}
_FALSE = {"false"}

KINDS = ("bool", "int", "float", "str")
"""The attribute types every text format keeps apart."""

TEXT_COLUMNS = frozenset({"source", "target", "kind", "id", "mode", "organization"})
"""Columns (lower-case names) read as text by the formats that infer types: ids and the
columns that hold them (``organization`` names an actor, so ``007`` stays ``007``), kinds
and route modes."""


def _strings(values: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray:
    if isinstance(values, pa.Array):
        values = pa.chunked_array([values])
    if values.type != pa.string():
        values = values.cast(pa.string())
    return values


def infer_kind(values: pa.ChunkedArray | pa.Array) -> str:
    """The narrowest of int, float, bool, str that holds every non-missing value.

    ``"empty"`` when every value is missing.
    """
    values = _strings(values)
    present = pc.drop_null(values)
    if len(present) == 0:
        return "empty"
    trimmed = pc.utf8_trim_whitespace(present)
    if pc.all(pc.match_substring_regex(trimmed, _INT)).as_py():
        return "int"
    if pc.all(pc.match_substring_regex(trimmed, _FLOAT)).as_py():
        return "float"
    lower = pc.utf8_lower(trimmed)
    if pc.all(pc.is_in(lower, pa.array(sorted(_TRUE | _FALSE)))).as_py():
        return "bool"
    return "str"


def convert_column(values: pa.ChunkedArray | pa.Array, kind: str, *, lines=None,
                   file=None, name: str = "") -> pd.Series:
    """String values as a pandas column of the given kind; a bad value raises InputError.

    int → ``int64`` (``Int64`` with missing values), float → ``float64`` (NaN missing),
    bool → ``boolean``, str → pandas strings, empty → all-missing object column.
    """
    values = _strings(values)
    n = len(values)
    if kind == "empty":
        return pd.Series([None] * n, dtype=object)
    if kind == "str":
        return pd.Series(values.to_pandas(types_mapper=None), dtype="str")
    trimmed = pc.utf8_trim_whitespace(values)
    null = pc.is_null(trimmed).to_numpy(zero_copy_only=False)
    if kind == "bool":
        lower = pc.utf8_lower(trimmed)
        is_true = pc.is_in(lower, pa.array(sorted(_TRUE | {"1", "yes", "t", "y"})))
        is_false = pc.is_in(lower, pa.array(sorted(_FALSE | {"0", "no", "f", "n"})))
        ok = pc.or_(pc.or_(is_true, is_false), pc.is_null(lower)).to_numpy(
            zero_copy_only=False)
        _raise_first(~ok, values, "true or false", lines, file, name)
        arr = pd.array(is_true.to_numpy(zero_copy_only=False), dtype="boolean")
        arr[null] = pd.NA
        return pd.Series(arr)
    pattern = _INT if kind == "int" else _FLOAT
    ok = pc.match_substring_regex(trimmed, pattern)
    if kind == "float":
        ok = pc.or_(ok, pc.is_in(pc.utf8_lower(trimmed), pa.array(sorted(_FLOAT_WORDS))))
    ok_np = ok.to_numpy(zero_copy_only=False)
    ok_np = np.where(null, True, ok_np).astype(bool)
    _raise_first(~ok_np, values, "an integer" if kind == "int" else "a number", lines,
                 file, name)
    if kind == "int":
        try:
            out = pc.cast(trimmed, pa.int64())
        except pa.ArrowInvalid:  # beyond 64 bits: keep as decimal numbers
            out = pc.cast(trimmed, pa.float64())
            return pd.Series(out.to_numpy(zero_copy_only=False), dtype=np.float64)
        if null.any():
            return pd.Series(pd.array(out.to_pandas(), dtype="Int64"))
        return pd.Series(out.to_numpy(), dtype=np.int64)
    fixed = pc.replace_substring_regex(pc.utf8_lower(trimmed), r"^([+-]?)infinity$",
                                       r"\1inf")
    out = pc.cast(fixed, pa.float64())
    return pd.Series(out.to_numpy(zero_copy_only=False), dtype=np.float64)


def _raise_first(bad: np.ndarray, values, expected: str, lines, file, name) -> None:
    if not bad.any():
        return
    row = int(np.flatnonzero(bad)[0])
    text = values[row].as_py()
    shown = text if len(text) <= 40 else text[:40] + "..."
    line = lines[row] if lines is not None else None
    where = "" if lines is not None else f"row {row + 1}: "
    raise InputError(f"{where}expected {expected}, got '{shown}'", file=file, line=line,
                     field=name or None)


def column_kind(values: pd.Series) -> str:
    """The type of a pandas column as one of bool, int, float, str (or empty).

    Object columns holding one Python type take that type; mixed ones are text.
    """
    if values.isna().all():
        return "empty"
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(dtype):
        return "int"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    if pd.api.types.is_object_dtype(dtype):
        present = [v for v in values.tolist() if not _missing(v)]
        if all(isinstance(v, (bool, np.bool_)) for v in present):
            return "bool"
        if all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))
               for v in present):
            return "int"
        if all(isinstance(v, (int, float, np.integer, np.floating))
               and not isinstance(v, (bool, np.bool_)) for v in present):
            return "float"
    return "str"


def _missing(v: Any) -> bool:
    if v is None or v is pd.NA:
        return True
    return isinstance(v, float) and v != v


def as_kind(values: pd.Series, kind: str) -> pd.Series:
    """A pandas column converted to the kind :func:`column_kind` gave (for writers)."""
    if kind == "bool":
        return values.astype("boolean")
    if kind == "int":
        if values.isna().any():
            return values.astype("Int64")
        return values.astype(np.int64)
    if kind == "float":
        return pd.to_numeric(values, errors="coerce").astype(np.float64)
    if kind == "empty":
        return pd.Series([None] * len(values), dtype=object, index=values.index)
    return values.astype(object).where(values.notna(), None).map(
        lambda v: v if v is None else str(v)).astype("str")


def to_arrow(values: pd.Series, kind: str) -> pa.Array:
    """A typed pandas column as an Arrow array (missing values as nulls)."""
    values = as_kind(values, kind)
    if kind == "empty":
        return pa.nulls(len(values), type=pa.string())
    if kind == "str":
        return pa.array(values.astype(object).where(values.notna(), None).tolist(),
                        type=pa.string())
    if kind == "float":
        arr = values.to_numpy(dtype=np.float64)
        return pa.array(arr, mask=np.isnan(arr), type=pa.float64())
    if kind == "int":
        return pa.array(values, type=pa.int64(), from_pandas=True)
    return pa.array(values, type=pa.bool_(), from_pandas=True)


def format_number(v: float) -> str:
    """The shortest text that reads back as the same float (``1`` for 1.0)."""
    v = float(v)
    if v.is_integer() and abs(v) < 1e16:
        return str(int(v))
    return repr(v)


def strip_comments(raw: bytes, chars: bytes = b"#%") -> bytes:
    """Blank out lines whose first non-blank character is a comment mark (keeps line count)."""
    if not any(bytes([c]) in raw for c in chars):
        return raw
    return re.sub(rb"(?m)^[ \t]*[" + re.escape(chars) + rb"][^\r\n]*", b"", raw)


def typed_series(kind: str, values: list) -> pd.Series:
    """A pandas column of one kind from Python values (``None`` = missing)."""
    n = len(values)
    if kind == "empty" or all(v is None for v in values):
        return pd.Series([None] * n, dtype=object)
    if kind == "bool":
        return pd.Series(pd.array(values, dtype="boolean"))
    if kind == "int":
        if any(v is None for v in values):
            return pd.Series(pd.array(values, dtype="Int64"))
        return pd.Series(np.asarray(values, dtype=np.int64))
    if kind == "float":
        return pd.Series(np.asarray([np.nan if v is None else v for v in values],
                                    dtype=np.float64))
    return pd.Series(values, dtype="str")


def python_values(values: pd.Series, kind: str) -> list:
    """Plain Python values of a column of a kind (missing = ``None``)."""
    typed = as_kind(values, kind)
    out = typed.astype(object).where(typed.notna(), None).tolist()
    if kind == "int":
        return [None if v is None else int(v) for v in out]
    if kind == "float":
        return [None if v is None else float(v) for v in out]
    if kind == "bool":
        return [None if v is None else bool(v) for v in out]
    return out


def value_kind(values: list) -> str:
    """The kind (bool, int, float, str or empty) of Python values; mixed kinds are text."""
    present = [v for v in values if v is not None]
    if not present:
        return "empty"
    if all(isinstance(v, bool) for v in present):
        return "bool"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "int"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return "float"
    return "str"


def _python(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
        return None
    return v


def _text_of(v: Any) -> str | None:
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, (list, dict, tuple)):
        import json

        try:
            return json.dumps(v, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            return str(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    return repr(v) if isinstance(v, float) else str(v)


def values_series(values: list) -> pd.Series:
    """A typed pandas column from Python values (see :func:`value_kind`); ``None``, NaN
    and NA are missing; lists and dicts become JSON text."""
    values = [_python(v) for v in values]
    kind = value_kind(values)
    if kind == "str":
        values = [_text_of(v) for v in values]
    elif kind == "float":
        values = [None if v is None else float(v) for v in values]
    return typed_series(kind, values)


def records_frame(records: list[dict[str, Any]], reserved: tuple[str, ...] = (),
                  prefix: str = "attr_") -> pd.DataFrame:
    """A frame of typed columns from attribute dicts; a key among ``reserved`` is
    renamed with ``prefix`` so it cannot clash with the model's columns."""
    keys = list(dict.fromkeys(str(k) for r in records for k in r))
    cols = {}
    for key in keys:
        series = values_series([r.get(key) for r in records])
        if series.isna().all():
            continue
        cols[prefix + key if key in reserved else key] = series
    return pd.DataFrame(cols, index=pd.RangeIndex(len(records)))
