"""`make bench`: every benchmark, a table of figures and ratios to their floors, and exit
code 1 when a goal is missed (so that CI can gate on it)."""

import sys
import tempfile
import time
from pathlib import Path

from bench import setup_django


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="aidcase-bench-") as folder:
        database = Path(folder) / "bench.sqlite3"
        setup_django(database, migrate=True)
        from bench import imports

        started = time.perf_counter()
        files = {}
        for rows in (imports.ROWS, 2 * imports.ROWS):
            files[rows] = Path(folder) / f"roster-{rows}.xlsx"
            files[rows].write_bytes(imports.roster(rows))
        data = files[imports.ROWS].read_bytes()
        print(
            f"Students import (F3): {imports.ROWS:,} rows ({len(data) / 1e6:.1f} MB .xlsx, shared"
            f" strings as Excel writes them; made in {time.perf_counter() - started:.1f} s),"
            " throwaway SQLite database"
        )
        figures = imports.timings(data, imports.ROWS)
        print()
        print(f"{'figure':<42} {'best of':>7} {'seconds':>8} {'rows/s':>7} {'x floor':>7}  goals")
        for figure in figures:
            ratio = "1.00" if figure.ratio is None else f"{figure.ratio:.2f}"
            print(
                f"{figure.name:<42} {figure.runs:>7} {figure.seconds:>8.3f}"
                f" {figure.rows_per_second:>7,.0f} {ratio:>7}  {figure.verdict}"
            )

        print()
        print(f"{'one import on the kept path (' + imports.KEPT + ')':<52} {'seconds':>8}")
        for line in imports.breakdown_lines(imports.breakdown(data, imports.ROWS)):
            print(line)

        print()
        print(f"{'peak memory above the starting size':<42} {'rows':>7} {'MiB':>8} {'KiB/row':>7}")
        for what, rows, mib in imports.memory(database, files):
            print(f"{what:<42} {rows:>7,} {mib:>8.1f} {mib * 1024 / rows:>7.2f}")

    failures = [problem for figure in figures for problem in figure.failures]
    print()
    if failures:
        print("Goals missed:")
        for problem in failures:
            print(f"  - {problem}")
        return 1
    print("All goals met.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
