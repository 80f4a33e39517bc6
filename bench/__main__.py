"""Run the benchmarks: ``python -m bench`` runs every ``bench/*.py`` module, ``python -m bench pages`` one.

Each benchmark module has a ``main() -> bool`` that prints its figures beside its budget and returns
whether every figure is within budget. The exit status is 1 when any benchmark is over budget or fails.
"""

from __future__ import annotations

import importlib
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent


def discover() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.py") if not p.stem.startswith("_"))


def main(argv: list[str]) -> int:
    available = discover()
    names = argv or available
    unknown = [n for n in names if n not in available]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available)}")
        return 2
    results: dict[str, str] = {}
    for name in names:
        print(f"== bench.{name}")
        started = time.monotonic()
        try:
            within = importlib.import_module(f"bench.{name}").main()
        except Exception:  # noqa: BLE001 - one broken benchmark must not hide the others' figures
            traceback.print_exc()
            results[name] = "ERROR"
        else:
            results[name] = "PASS" if within else "OVER"
        print(f"== bench.{name}: {results[name]} ({time.monotonic() - started:.1f} s)\n")
    print("Summary: " + ", ".join(f"{n} {r}" for n, r in results.items()))
    return 0 if all(r == "PASS" for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
