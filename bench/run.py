"""Run every benchmark: ``python bench/run.py [--quick] [--sizes 100000,1000000] [--only NAME,...]``.

Each bench in ``BENCHES`` is its own script (its own CLI, see the README table) and runs here
as a child process, one after another so they do not compete for the machine. A bench that
reads the seeded desk runs once per size on that size's database (``escdesk_bench_<N>``,
seeded on first use and reused, see ``bench/database.py``); the others (routing, the audit
ledger) build their own data and run once. A script listed here that is not in the tree yet is
skipped with a note.

Output: every child's figures as ``name value unit`` lines, renamed ``<bench>.<size>.<figure>``
(``<bench>.<figure>`` for a bench that runs once), as each bench finishes, then one Markdown
table of them all with a column per size. ``--quick`` runs the small version of every bench but
the load test on 2,000 cases (CI runs it to keep the harness working; its times mean little).

Databases: ``BENCH_DATABASE_URL_<N>`` (e.g. ``BENCH_DATABASE_URL_100000``) points the benches of
size N at another database, ``BENCH_DATABASE_URL_<BENCH>`` (e.g. ``BENCH_DATABASE_URL_ROUTING``)
does so for a bench that runs once; a plain ``BENCH_DATABASE_URL`` applies to the sized benches
when only one size runs. The helpers every bench uses (``Figure``, ``report``, ``measure``,
``percentile``) live in ``bench/figures.py`` and are importable from here too.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.database import bench_database_url, drop_database  # noqa: E402
from bench.figures import Figure, measure, percentile, report  # noqa: E402,F401 - the benches import these from here

SIZES = (100_000, 1_000_000)
QUICK_SIZE = 2_000


@dataclass(frozen=True)
class Bench:
    """One benchmark script and how to call it."""

    name: str
    # Arguments for a full run and for --quick; a sized bench also gets --cases N.
    full: tuple[str, ...] = ()
    quick: tuple[str, ...] = ("--quick",)
    # Reads the seeded desk: runs once per size. False: builds its own data, runs once.
    sized: bool = True
    # Sizes it runs at in a full run when not every size makes sense (None: all of the run's).
    only_sizes: tuple[int, ...] | None = None
    in_quick: bool = True

    @property
    def script(self) -> Path:
        return ROOT / "bench" / f"{self.name}.py"


# Add a bench here: a script bench/<name>.py that prints ``name value unit`` lines (see
# bench/figures.py ``report``) and takes --quick (and --cases N if it reads the seeded desk).
BENCHES = [
    Bench("pages"),
    # Before the benches that write into the shared database (sweeps, escalations, the
    # compliance review backlog, pain point sends): the dashboard is timed on the desk as loaded.
    Bench("metrics"),
    Bench("sla"),
    Bench("escalations"),
    # Its own database of agents on shift; --cases is how many new cases it routes.
    Bench("routing", sized=False, quick=("--cases", "150", "--agents", "15", "--teams", "3", "--processes", "1")),
    Bench("compliance"),
    Bench("audit", sized=False),
    Bench("api"),
    Bench("painpoints"),
    # Its own database and a throw-away Redis: what handing a task to the broker adds to a write.
    Bench("outbox", sized=False),
    # Fifty simulated users against gunicorn + Celery, on a copy of the 100,000-case database.
    # Out of --quick: even its small version (a few users for 10 s, plus starting gunicorn, a
    # worker and Locust) would take CI's quick run past a minute; run ``bench/load.py --quick``.
    Bench("load", only_sizes=(100_000,), in_quick=False),
]


def size_label(cases: int) -> str:
    if cases % 1_000_000 == 0:
        return f"{cases // 1_000_000}m"
    if cases % 1_000 == 0:
        return f"{cases // 1_000}k"
    return str(cases)


@dataclass
class Result:
    bench: str
    size: int | None
    figures: list[Figure]
    seconds: float
    failed: str = ""


def parse_output(text: str) -> list[Figure]:
    """The figures a bench printed: its ``name value unit`` lines, with targets from its table."""
    figures: list[Figure] = []
    targets: dict[str, str] = {}
    in_lines = True
    for line in text.splitlines():
        if line.startswith("| ") and line.count("|") >= 5:
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if len(cells) >= 4 and cells[0] not in ("figure", "---"):
                targets[cells[0]] = cells[3]
            continue
        if not line.strip():
            in_lines = False  # the lines end where the table's title begins
            continue
        parts = line.split(" ", 2)
        if in_lines and len(parts) == 3 and not line.startswith("#"):
            try:
                value = float(parts[1])
            except ValueError:
                continue
            whole = value.is_integer() and "." not in parts[1]
            figures.append(Figure(parts[0], int(value) if whole else value, parts[2]))
    for figure in figures:
        figure.target = targets.get(figure.name, "")
    return figures


def child_env(bench: Bench, size: int | None, single_size: bool) -> dict[str, str]:
    env = dict(os.environ)
    plain = env.pop("BENCH_DATABASE_URL", None)
    key = str(size) if bench.sized else bench.name.upper()
    chosen = os.environ.get(f"BENCH_DATABASE_URL_{key}") or (plain if bench.sized and single_size else None)
    if chosen:
        env["BENCH_DATABASE_URL"] = chosen
    return env


def run_bench(bench: Bench, size: int | None, *, quick: bool, single_size: bool) -> Result:
    command = [sys.executable, str(bench.script), *(bench.quick if quick else bench.full)]
    if size is not None and not quick:
        command += ["--cases", str(size)]
    where = f" at {size:,} cases" if size is not None else ""
    print(f"# {bench.name}{where}: {' '.join(command[1:])}", file=sys.stderr, flush=True)
    started = time.monotonic()
    finished = subprocess.run(
        command,
        cwd=ROOT,
        env=child_env(bench, size, single_size),
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    seconds = time.monotonic() - started
    figures = parse_output(finished.stdout)
    failed = ""
    if finished.returncode != 0:
        failed = f"exit status {finished.returncode}"
    elif not figures:
        failed = "printed no figures"
    if failed:
        sys.stderr.write(finished.stdout)
    return Result(bench.name, size, figures, seconds, failed)


def qualified(result: Result, figure: Figure) -> str:
    if result.size is None:
        return f"{result.bench}.{figure.name}"
    return f"{result.bench}.{size_label(result.size)}.{figure.name}"


def print_table(results: list[Result], sizes: list[int], title: str) -> None:
    """One row per bench figure, one value column per size."""
    rows: dict[tuple[str, str], dict] = {}
    for result in results:
        for figure in result.figures:
            row = rows.setdefault((result.bench, figure.name), {"unit": figure.unit, "target": figure.target})
            value = figure.line().split(" ", 2)[1]
            row[result.size] = value
    columns = sizes if any(r.size is not None for r in results) else []
    print()
    print(title)
    print()
    header = ["bench", "figure", *(f"{size:,} cases" for size in columns), "unit", "target"]
    print("| " + " | ".join(header) + " |")
    print("|---|---|" + "---:|" * len(columns) + "---|---|")
    for (bench, name), row in rows.items():
        # A bench that runs once puts its value in the first column.
        values = [row.get(size, row.get(None, "")) if i == 0 else row.get(size, "") for i, size in enumerate(columns)]
        if not columns:
            values = []
        print("| " + " | ".join([bench, name, *values, row["unit"], row["target"]]) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"the small version of every bench ({QUICK_SIZE:,} cases)")
    parser.add_argument(
        "--sizes",
        default=",".join(str(size) for size in SIZES),
        help="comma-separated database sizes for the benches that read the seeded desk (default 100000,1000000)",
    )
    names = ", ".join(bench.name for bench in BENCHES)
    parser.add_argument("--only", help=f"comma-separated bench names (default all): {names}")
    args = parser.parse_args()

    sizes = [QUICK_SIZE] if args.quick else [int(size.replace("_", "")) for size in args.sizes.split(",")]
    wanted = set(args.only.split(",")) if args.only else {bench.name for bench in BENCHES}
    unknown = wanted - {bench.name for bench in BENCHES}
    if unknown:
        parser.error(f"no bench named {', '.join(sorted(unknown))}")

    if args.quick and not os.environ.get("BENCH_DATABASE_URL"):
        # The benches write into their database (sends, sweeps, ingest). At the full sizes a
        # load is reused on purpose; the small one is reloaded on every quick run (about 20 s),
        # so that repeated runs, as in CI, never find it used up.
        drop_database(bench_database_url(QUICK_SIZE))

    results: list[Result] = []
    started = time.monotonic()
    for bench in BENCHES:
        if bench.name not in wanted:
            continue
        if not bench.script.exists():
            print(f"# {bench.name}: bench/{bench.name}.py is not in this tree, skipped", file=sys.stderr)
            continue
        if args.quick and not bench.in_quick:
            continue
        if not bench.sized:
            runs: list[int | None] = [None]
        elif args.quick:
            runs = [QUICK_SIZE]
        else:
            runs = [size for size in sizes if bench.only_sizes is None or size in bench.only_sizes]
        for size in runs:
            result = run_bench(bench, size, quick=args.quick, single_size=len(sizes) == 1)
            results.append(result)
            for figure in result.figures:
                print(f"{qualified(result, figure)} {figure.line().split(' ', 1)[1]}", flush=True)
            state = f"FAILED ({result.failed})" if result.failed else "done"
            print(f"# {bench.name}: {state} in {result.seconds:.1f} s", file=sys.stderr, flush=True)

    kind = "quick run" if args.quick else "full run"
    took = time.monotonic() - started
    print_table(results, sizes, f"Escalation Desk benchmarks ({kind}, {took:.0f} s), PostgreSQL.")
    failures = [r for r in results if r.failed]
    if failures:
        listed = ", ".join(f"{r.bench}{'' if r.size is None else f' at {r.size:,}'} ({r.failed})" for r in failures)
        sys.exit(f"Benchmarks failed: {listed}")


if __name__ == "__main__":
    main()
