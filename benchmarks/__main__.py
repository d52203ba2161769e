"""Run the benchmarks: ``python -m benchmarks [--quick | --tiny] [--json FILE] [name ...]``.

``--tiny`` runs each at its smallest size, once: a check that the benchmarks run and report
their peers (``tests/test_benchmarks.py``), whose times mean nothing.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
from pathlib import Path

from benchmarks.common import Result, fmt_seconds


def discover() -> list[str]:
    here = Path(__file__).parent
    return sorted(m.name[len("bench_"):] for m in pkgutil.iter_modules([str(here)])
                  if m.name.startswith("bench_"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default all: "
                                                 f"{', '.join(discover())})")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    size.add_argument("--tiny", action="store_true",
                      help="smallest sizes, once: checks that they run; the times mean nothing")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    args = parser.parse_args(argv)
    names = args.names or discover()
    unknown = sorted(set(names) - set(discover()))
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; have {discover()}")
    results: list[Result] = []
    for name in names:
        mod = importlib.import_module(f"benchmarks.bench_{name}")
        print(f"== {name}", flush=True)
        for res in mod.run(quick=args.quick or args.tiny, tiny=args.tiny):
            results.append(res)
            ratio = "-" if res.ratio is None else f"{res.ratio:.2f}x"
            met = {True: "met", False: "NOT met", None: ""}[res.met]
            peer = f" vs {res.peer} {fmt_seconds(res.peer_s)}" if res.peer else ""
            goal = f"  goal {res.goal}: {met}" if res.goal else ""
            note = f"  ({res.note})" if res.note else ""
            print(f"  {res.name}: {fmt_seconds(res.ours_s)}{peer}  ratio {ratio}{goal}{note}",
                  flush=True)
    if args.json:
        args.json.write_text(json.dumps([r.as_dict() for r in results], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
