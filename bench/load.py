"""The load test (F10): locust against the bench's gunicorn, on the loopback interface only.

Two kinds of run, each a locust process (headless, bounded in time; bench/locustfile.py):

- The mixed load: USERS simulated users with think time (5–15 s between pages): teachers
  (their home `/me/`, a student's page, and one round in two the log form, saved through
  the real form with its CSRF token and form key), principals and aid offices (the school
  dashboard) and the county viewer (`/county/`, then a school's summary). The figures are
  taken after every user has started (locust's --reset-stats): req/s, p50/p95/p99 and errors
  per page and in total. Goals: p95 <= 300 ms over all pages, and no error.
- Throughput (closed loop: CAPACITY_USERS users asking again as soon as they are answered,
  no think time, one page each): the floor, `/accounts/alive/` (the whole middleware stack and
  the session, nothing else), then `/me/` and `/dashboard/`. With think time a page's req/s is
  set by the mix, not by the server: only a closed loop shows what the server carries. Goals:
  `/me/` >= 1/10 of the floor's req/s, the dashboard >= 1/4 of `/me/`'s.

Every simulated user has its own session, made by a real login before the runs (login
protection and the password hash, ~0.35 s of CPU each, stay out of the figures); the session
cookies reach locust in a file of the bench's temporary folder.
"""

import concurrent.futures
import csv
import json
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench import county

USERS = 200
SECONDS = 90  # measured, after the users have started
SPAWN_RATE = 10  # users started per second
THINK = (5.0, 15.0)
# The mix: most users are teachers; a principal or aid office per school looks in now and then;
# the county bureau is a handful of people.
SHARES = {"teacher": 0.80, "principal": 0.15, "county": 0.05}
CAPACITY_USERS = 8  # as many as gunicorn's 2 workers × 4 threads serve at once
CAPACITY_SECONDS = 20

P95_MS = 300.0
ME_PER_FLOOR = 0.10
DASHBOARD_PER_ME = 0.25

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
# The pages of the mixed run, in the order of the table (locust's names).
MIXED_PAGES = (
    "/me/",
    "/students/[id]/",
    "/logs/new/ (form)",
    "/logs/new/ (save)",
    "/dashboard/",
    "/county/",
    "/county/schools/[id]/",
)


@dataclass
class Options:
    users: int = USERS
    seconds: int = SECONDS
    think: tuple[float, float] = THINK
    capacity_users: int = CAPACITY_USERS
    capacity_seconds: int = CAPACITY_SECONDS


def mix(users: int) -> dict[str, int]:
    """Users per role, adding up to `users`, at least one of each."""
    counts = {role: max(1, round(users * share)) for role, share in SHARES.items()}
    counts["teacher"] = max(1, users - counts["principal"] - counts["county"])
    return counts


def accounts(counts: dict[str, int]) -> dict[str, list[str]]:
    """Usernames per role, one per simulated user: distinct teachers with pairings today and
    principals and aid offices taken at random across the county (an account is used again
    only when there are fewer accounts than users), and the county viewer."""
    from django.contrib.auth import get_user_model

    from students.models import Role

    rng = random.Random(county.SEED)  # noqa: S311 — picks demo accounts, not secrets
    teachers = sorted(username for username, _n in county.busiest_teachers())
    managers = sorted(
        get_user_model()
        .objects.filter(profile__role__in=(Role.PRINCIPAL, Role.OFFICE), is_active=True)
        .values_list("username", flat=True)
    )
    pools = {"teacher": teachers, "principal": managers, "county": [county.username_of("county")]}
    chosen = {}
    for role, count in counts.items():
        pool = pools[role]
        if not pool:
            raise county.BenchError(f"no {role} account to simulate")
        picked = rng.sample(pool, min(count, len(pool)))
        chosen[role] = [picked[n % len(picked)] for n in range(count)]
    return chosen


def login_all(base: str, password: str, usernames: dict[str, list[str]]) -> dict[str, list[str]]:
    """A session per simulated user through the real login form, several at a time; the
    Cookie header of each."""

    def cookie_header(username: str) -> str:
        session = county.login(base, username, password)
        return "; ".join(f"{name}={value}" for name, value in session.cookies.items())

    with concurrent.futures.ThreadPoolExecutor(max_workers=2 * county.WORKERS) as pool:
        return {role: list(pool.map(cookie_header, names)) for role, names in usernames.items()}


@dataclass
class Row:
    name: str
    requests: int
    failures: int
    per_second: float
    p50: float | None
    p95: float | None
    p99: float | None


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None  # "N/A": no request


def read_stats(prefix: Path) -> dict[str, Row]:
    with Path(f"{prefix}_stats.csv").open(newline="") as handle:
        rows = {}
        for line in csv.DictReader(handle):
            rows[line["Name"]] = Row(
                name=line["Name"],
                requests=int(line["Request Count"]),
                failures=int(line["Failure Count"]),
                per_second=float(line["Requests/s"]),
                p50=_number(line["50%"]),
                p95=_number(line["95%"]),
                p99=_number(line["99%"]),
            )
    return rows


def read_errors(prefix: Path) -> list[str]:
    path = Path(f"{prefix}_failures.csv")
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        return [
            f"{line['Name']}: {line['Error']} ({line['Occurrences']}x)"
            for line in csv.DictReader(handle)
        ]


def locust(
    base: str,
    folder: Path,
    label: str,
    classes: list[str],
    *,
    users: int,
    seconds: int,
    spawn_rate: float,
    env: dict[str, str],
) -> tuple[dict[str, Row], list[str], list[str]]:
    """One headless locust run; (its rows by name, its errors, its warnings)."""
    prefix = folder / label
    ramp = users / spawn_rate
    command = [
        sys.executable,
        "-m",
        "locust",
        f"--locustfile={LOCUSTFILE}",
        "--headless",
        f"--host={base}",
        f"--users={users}",
        f"--spawn-rate={spawn_rate:g}",
        f"--run-time={round(ramp + seconds)}s",
        "--reset-stats",
        f"--csv={prefix}",
        "--only-summary",
        "--loglevel=WARNING",
        "--exit-code-on-error=0",
        *classes,
    ]
    log = folder / f"{label}.log"
    with log.open("wb") as output:
        try:
            finished = subprocess.run(  # noqa: S603 — this interpreter's locust, fixed arguments
                command,
                env={**os.environ, **env},
                stdout=output,
                stderr=subprocess.STDOUT,
                check=False,
                timeout=ramp + seconds + 120,
            )
        except subprocess.TimeoutExpired:
            raise county.BenchError(f"locust did not stop after {ramp + seconds:.0f} s") from None
    text = log.read_text(errors="replace")
    if finished.returncode != 0 or not Path(f"{prefix}_stats.csv").exists():
        raise county.BenchError(f"locust failed ({finished.returncode}):\n{text[-3000:]}")
    warnings = sorted(
        {line.split("] ", 1)[-1] for line in text.splitlines() if "CPU usage" in line}
    )
    return read_stats(prefix), read_errors(prefix), warnings


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


@dataclass
class LoadResult:
    lines: list[str]
    failures: list[str]


def run(base: str, folder: Path, password: str, options: Options) -> LoadResult:
    lines: list[str] = []
    failures: list[str] = []
    counts = mix(options.users)
    started = time.perf_counter()
    sessions = login_all(base, password, accounts(counts))
    path = folder / "sessions.json"
    path.touch(mode=0o600)  # session keys, if only of a throwaway database
    path.write_text(json.dumps(sessions))
    lines.append(
        f"{sum(counts.values())} sessions made by real logins in"
        f" {time.perf_counter() - started:.0f} s (before the runs, not in their figures)"
    )
    env = {
        "BENCH_SESSIONS": str(path),
        "BENCH_THINK": f"{options.think[0]:g},{options.think[1]:g}",
        "BENCH_MIX": ",".join(str(counts[role]) for role in SHARES),
    }

    # The mixed load.
    rows, errors, warnings = locust(
        base,
        folder,
        "mixed",
        ["Teacher", "Principal", "CountyViewer"],
        users=options.users,
        seconds=options.seconds,
        spawn_rate=SPAWN_RATE,
        env=env,
    )
    total = rows.get("Aggregated")
    if total is None or total.requests == 0:
        raise county.BenchError("the mixed load made no request")
    lines += [
        "",
        f"Mixed load: {options.users} users ({counts['teacher']} teachers,"
        f" {counts['principal']} principals and aid offices, {counts['county']} county"
        f" viewer{'s' if counts['county'] > 1 else ''}),"
        f" think time {options.think[0]:g}–{options.think[1]:g} s, {options.seconds} s measured"
        f" after a {options.users / SPAWN_RATE:.0f} s ramp",
        f"{'page':<26} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}"
        f" {'errors':>6}  goals",
    ]
    for name in [*MIXED_PAGES, *sorted(set(rows) - set(MIXED_PAGES) - {"Aggregated"})]:
        row = rows.get(name)
        if row is not None:
            lines.append(_row_line(row.name, row, ""))
    p95_ok = total.p95 is not None and total.p95 <= P95_MS
    verdict = (
        f"{'ok' if p95_ok else 'MISSED'}: p95 <= {P95_MS:g} ms;"
        f" {'ok' if total.failures == 0 else 'MISSED'}: 0 errors"
    )
    lines.append(_row_line("all pages", total, verdict))
    if not p95_ok:
        failures.append(f"mixed load: p95 {_ms(total.p95)} ms (goal <= {P95_MS:g} ms)")
    if total.failures:
        failures.append(f"mixed load: {total.failures} errors (goal: none)")
    lines += [f"  error: {error}" for error in errors]
    lines += [f"  locust: {warning}" for warning in warnings]

    # Throughput, closed loop.
    lines += [
        "",
        f"Throughput: {options.capacity_users} users without think time,"
        f" {options.capacity_seconds} s per page",
        f"{'page':<26} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}"
        f" {'errors':>6} {'x floor':>7}  goals",
    ]
    measured: dict[str, Row] = {}
    for user_class, name in (
        ("FloorCapacity", county.FLOOR_URL),
        ("MeCapacity", "/me/"),
        ("DashboardCapacity", "/dashboard/"),
    ):
        rows, errors, warnings = locust(
            base,
            folder,
            user_class,
            [user_class],
            users=options.capacity_users,
            seconds=options.capacity_seconds,
            spawn_rate=options.capacity_users,
            env=env,
        )
        row = rows.get(name)
        if row is None or row.requests == 0:
            raise county.BenchError(f"the throughput run of {name} made no request")
        measured[name] = row
        if row.failures:
            failures.append(f"throughput of {name}: {row.failures} errors")
        lines += [f"  error: {error}" for error in errors]
        lines += [f"  locust: {warning}" for warning in warnings]
    floor, me, dashboard = (measured[n] for n in (county.FLOOR_URL, "/me/", "/dashboard/"))
    lines.append(_row_line(f"floor: {county.FLOOR_URL}", floor, "(the floor)", ratio="1.00"))
    for name, row, ok, goal in (
        (
            "/me/",
            me,
            me.per_second >= ME_PER_FLOOR * floor.per_second,
            f">= {ME_PER_FLOOR:g}x the floor's req/s",
        ),
        (
            "/dashboard/",
            dashboard,
            dashboard.per_second >= DASHBOARD_PER_ME * me.per_second,
            f">= {DASHBOARD_PER_ME:g}x /me/'s req/s ({dashboard.per_second / me.per_second:.2f}x)",
        ),
    ):
        verdict = f"{'ok' if ok else 'MISSED'}: {goal}"
        if not ok:
            failures.append(f"throughput of {name}: {row.per_second:.1f} req/s (goal {goal})")
        lines.append(
            _row_line(name, row, verdict, ratio=f"{row.per_second / floor.per_second:.2f}")
        )
    return LoadResult(lines, failures)


def _row_line(name: str, row: Row, verdict: str, *, ratio: str | None = None) -> str:
    line = (
        f"{name:<26} {row.requests:>8,} {row.per_second:>7.1f} {_ms(row.p50):>7} {_ms(row.p95):>7}"
        f" {_ms(row.p99):>7} {row.failures:>6}"
    )
    if ratio is not None:
        line += f" {ratio:>7}"
    return f"{line}  {verdict}".rstrip()
