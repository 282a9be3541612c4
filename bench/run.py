"""`make bench`: every benchmark, a table of figures and ratios to their floors, and exit
code 1 when a goal is missed (so that CI can gate on it); 2 when a part could not measure.

    python -m bench.run                       imports, county, load and big (as `make bench`)
    python -m bench.run county --schools 20   one part, or several: county load
    python -m bench.run wide                  /county/ at 600 schools (not run by default)

Parts: `imports` (the students import, a throwaway SQLite database); on PostgreSQL, each in a
database of its own, made and dropped by the bench: `county` (/county/, the largest school's
dashboard and /me/ at county scale) and `load` (locust against gunicorn), which share one
database; `big` (the dashboard of a school of 2,000 students); `wide` (the county page at 600
schools). The PostgreSQL parts are skipped, with a note, when PostgreSQL cannot be reached and
they were not asked for by name. Several database groups run one after the other, each in a
process of its own (Django is set up once per process, on one database).
"""

import argparse
import contextlib
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench import county, load

PARTS = ("imports", "county", "load", "big", "wide")
DEFAULT_PARTS = ("imports", "county", "load", "big")
# Parts that share a process and a database, in the order they run.
GROUPS = (("imports",), ("county", "load"), ("big",), ("wide",))

OK, MISSED, BROKEN = 0, 1, 2


def arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument(
        "parts",
        nargs="*",
        metavar="PART",
        help=f"any of {', '.join(PARTS)} (default: {' '.join(DEFAULT_PARTS)})",
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="a PostgreSQL database to connect to for creating the bench's own (default:"
        f" DATABASE_URL when it is PostgreSQL, else {county.DEFAULT_MAINTENANCE})",
    )
    parser.add_argument(
        "--schools", type=int, default=county.GOAL_SCHOOLS, help="county and load: %(default)s"
    )
    parser.add_argument(
        "--students-per-school", type=int, default=270, help="county and load: %(default)s"
    )
    parser.add_argument(
        "--big-students", type=int, default=county.BIG_STUDENTS, help="big: %(default)s"
    )
    parser.add_argument("--wide", action="store_true", help="add the part `wide`")
    parser.add_argument(
        "--wide-schools", type=int, default=county.WIDE_SCHOOLS, help="wide: %(default)s"
    )
    parser.add_argument(
        "--wide-students-per-school", type=int, default=70, help="wide: %(default)s"
    )
    parser.add_argument(
        "--users", type=int, default=load.USERS, help="of the mixed load: %(default)s"
    )
    parser.add_argument(
        "--load-seconds",
        type=int,
        default=load.SECONDS,
        help="of the mixed load, measured after the ramp: %(default)s",
    )
    parser.add_argument(
        "--think",
        default=",".join(f"{s:g}" for s in load.THINK),
        metavar="MIN,MAX",
        help="seconds between a simulated user's pages: %(default)s",
    )
    parser.add_argument(
        "--capacity-users",
        type=int,
        default=load.CAPACITY_USERS,
        help="of the throughput runs (no think time): %(default)s",
    )
    parser.add_argument(
        "--capacity-seconds",
        type=int,
        default=load.CAPACITY_SECONDS,
        help="of each throughput run: %(default)s",
    )
    # Given to a part of the default set: skipped, not failed, without PostgreSQL.
    parser.add_argument("--if-reachable", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    unknown = [part for part in args.parts if part not in PARTS]
    if unknown:
        parser.error(f"unknown part {', '.join(unknown)} (parts: {', '.join(PARTS)})")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = arguments(argv)
    asked = set(args.parts) | ({"wide"} if args.wide else set())
    parts = set(args.parts or DEFAULT_PARTS) | asked
    groups = [tuple(p for p in group if p in parts) for group in GROUPS if parts & set(group)]
    if len(groups) == 1:
        required = bool(set(groups[0]) & asked) and not args.if_reachable
        return run_group(groups[0], args, required=required)
    county.exit_on_sigterm()  # a SIGTERM is passed on to the running part (run_child)
    options = [a for a in argv if a not in PARTS and a != "--wide"]
    results: dict[tuple[str, ...], int] = {}
    for group in groups:
        if results:
            print()
        # A part of the default set is skipped when PostgreSQL cannot be reached; one named
        # on the command line must run.
        optional = [] if set(group) & asked else ["--if-reachable"]
        results[group] = run_child([*group, *options, *optional])
    print()
    print("Summary:")
    what = {OK: "all goals met (or skipped)", MISSED: "goals missed", BROKEN: "could not measure"}
    for group, code in results.items():
        print(f"  {' + '.join(group):<14} {what.get(code, f'exit code {code}')}")
    return max(results.values())


def run_child(argv: list[str]) -> int:
    """One group in a process of its own. On Ctrl-C the child got the signal too and is
    dropping its database: wait for it."""
    process = subprocess.Popen([sys.executable, "-m", "bench.run", *argv])  # noqa: S603
    try:
        return process.wait()
    except KeyboardInterrupt:
        with contextlib.suppress(KeyboardInterrupt):
            process.wait()
        raise
    except BaseException:
        process.send_signal(signal.SIGTERM)
        process.wait()
        raise


def run_group(group: tuple[str, ...], args: argparse.Namespace, *, required: bool) -> int:
    if group == ("imports",):
        return imports_main()
    return postgres_main(group, args, required=required)


def imports_main() -> int:
    from bench import setup_django

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
        print(f"  {county.load_average()}")

    return report([problem for figure in figures for problem in figure.failures])


def report(failures: list[str]) -> int:
    print()
    if failures:
        print("Goals missed:")
        for problem in failures:
            print(f"  - {problem}")
        return MISSED
    print("All goals met.")
    return OK


def postgres_main(group: tuple[str, ...], args: argparse.Namespace, *, required: bool) -> int:
    county.exit_on_sigterm()
    title = {
        ("county", "load"): "County scale and load (F10)",
        ("county",): "County scale (F10)",
        ("load",): "Load (F10)",
        ("big",): f"A school of {args.big_students:,} students (F10)",
        ("wide",): f"The county page at {args.wide_schools} schools (F10)",
    }[group]
    maintenance = county.maintenance_url(args.postgres)
    problem = county.unreachable(maintenance)
    if problem is not None:
        verb = "not run" if required else "skipped"
        print(f"{title}: {verb}, PostgreSQL at {county.where(maintenance)} cannot be used")
        print(f"  ({problem}); give one with --postgres URL or DATABASE_URL")
        return BROKEN if required else OK
    for name in county.leftovers(maintenance):
        print(f"Note: {name} is left from a bench run that was killed; drop it with")
        print(f'  DROP DATABASE "{name}";')
    if group == ("big",):
        schools, size = 1, args.big_students
    elif group == ("wide",):
        schools, size = args.wide_schools, args.wide_students_per_school
    else:
        schools, size = args.schools, args.students_per_school
    password = secrets.token_urlsafe(16)
    failures: list[str] = []
    try:
        with (
            tempfile.TemporaryDirectory(prefix="aidcase-bench-") as temporary,
            county.throwaway_database(maintenance) as (name, url),
        ):
            folder = Path(temporary)
            county.setup_django(url)
            seeded = _seed(schools=schools, students_per_school=size, password=password)
            print(
                f"{title}: PostgreSQL database {name} on {county.where(maintenance)}"
                " (dropped at the end)"
            )
            print(f"  {seeded.describe(size)}")
            with county.gunicorn(url, folder) as base:
                print(
                    f"  gunicorn: {county.WORKERS} workers × {county.THREADS} threads (gthread)"
                    f" on {base.removeprefix('http://')}; {county.load_average()}"
                )
                if "county" in group or group in (("big",), ("wide",)):
                    failures += _pages(group, base, password, schools=schools)
                if "load" in group:
                    options = load.Options(
                        users=args.users,
                        seconds=args.load_seconds,
                        think=_think(args.think),
                        capacity_users=args.capacity_users,
                        capacity_seconds=args.capacity_seconds,
                    )
                    print()
                    result = load.run(base, folder, password, options)
                    for line in result.lines:
                        print(line)
                    failures += result.failures
                    print(f"  {county.load_average()}")
    except county.BenchError as error:
        print(f"{title}: could not measure: {error}")
        return BROKEN
    return report(failures)


def _seed(*, schools: int, students_per_school: int, password: str) -> county.Seeded:
    from django.core.management.base import CommandError

    try:
        return county.seed(
            schools=schools, students_per_school=students_per_school, password=password
        )
    except CommandError as error:
        raise county.BenchError(f"seed_demo refused: {error}") from None


def _think(text: str) -> tuple[float, float]:
    low, _sep, high = text.partition(",")
    return float(low), float(high or low)


def _pages(group: tuple[str, ...], base: str, password: str, *, schools: int) -> list[str]:
    if group == ("wide",):
        pages = county.county_pages(
            county_ms=county.WIDE_COUNTY_MS, note=f"at {county.WIDE_SCHOOLS} schools"
        )[:1]
    elif group == ("big",):
        pages = county.county_pages(county_ms=None, note="")[1:]
    else:
        pages = county.county_pages(
            county_ms=county.COUNTY_MS, note=f"at {county.GOAL_SCHOOLS} schools"
        )
    figures = county.measure(base, password, pages)
    print()
    print(
        f"Pages at {schools} school{'s' if schools > 1 else ''}: over HTTP, median of"
        f" {county.RUNS} runs after {county.WARMUP} warm-up runs, one user at a time;"
        " queries counted in process (test client)"
    )
    for line in county.table(figures):
        print(line)
    print(f"  {county.load_average()}")
    return [problem for figure in figures for problem in figure.failures]


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\nInterrupted: the bench's server is stopped and its databases dropped.")
        sys.exit(130)
