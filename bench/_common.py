"""Helpers the benchmarks share: a scratch PostgreSQL database of their own, and where the
repository and the shared scripts live. Benchmarks are not tests; nothing here runs in CI."""

from __future__ import annotations

import os
import platform
import subprocess
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql
from rich.console import Console

REPO = Path(__file__).resolve().parents[1]
SHARED_SCRIPTS = REPO.parent / "shared" / "scripts"
ADMIN_DB = "test"  # an existing database to connect to while (re)creating the bench one


def database_name(url: str) -> str:
    name = urlsplit(url).path.lstrip("/")
    if not name:
        raise SystemExit(f"the database URL names no database: {url}")
    return name


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def libpq_url(url: str) -> str:
    """``postgresql+psycopg://`` → ``postgresql://`` (what psycopg and pgbench accept)."""
    scheme, rest = url.split("://", 1)
    return "postgresql://" + rest if scheme.startswith("postgresql") else url


def recreate_database(url: str) -> None:
    """Drop and create the database ``url`` names, connecting through the ``test`` database.

    Refuses to touch ``test`` itself: the test suite owns it.
    """
    name = database_name(url)
    if name == ADMIN_DB:
        raise SystemExit("refusing to reset the 'test' database; the test suite uses it")
    admin = with_database(libpq_url(url), ADMIN_DB)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def copy_database(url: str, template: str) -> None:
    """Drop the database ``url`` names and create it as a copy of the database ``template``
    (which nobody may be connected to), through the ``test`` database."""
    name = database_name(url)
    if ADMIN_DB in (name, template):
        raise SystemExit("refusing to copy to or from the 'test' database; the test suite uses it")
    if name == template:
        raise SystemExit(f"refusing to replace {template!r} with a copy of itself")
    admin = with_database(libpq_url(url), ADMIN_DB)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(template)))


def analyze(url: str) -> None:
    """``ANALYZE`` the database ``url`` names once its data is loaded. Autovacuum is off on
    this server; a live database has statistics, and without them the planner guesses from
    the table sizes alone (a segment test scanned a tenant's members instead of reading
    one by id)."""
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("ANALYZE")


def machine() -> str:
    """One line about the machine: CPU model, cores, memory and Python."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = os.cpu_count() or 0
    mem_gib = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gib = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return f"{model}, {cores} cores, {mem_gib:.0f} GiB, Python {platform.python_version()}"


def server_version(url: str) -> str:
    with psycopg.connect(libpq_url(url)) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return f"PostgreSQL {row[0] if row else '?'}"


def make_console() -> Console:
    """A Rich console; wide enough for the tables when the output is a file or a pipe."""
    console = Console()
    return console if console.is_terminal else Console(width=160)


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    return children


def descendants(root: int, children: dict[int, list[int]] | None = None) -> set[int]:
    """Every process below ``root`` (not ``root`` itself)."""
    children = _children_map() if children is None else children
    found: set[int] = set()
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def _cpu_and_comm(pid: int) -> tuple[float, str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    comm = raw[raw.index("(") + 1:raw.rindex(")")]
    fields = raw.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), comm


def run_queue_wait(pids: set[int]) -> dict[tuple[int, int], float]:
    """Seconds each thread of these processes has spent so far runnable but waiting for a
    CPU (``run_delay`` of ``/proc/<pid>/task/<tid>/schedstat``), by (pid, tid). Compare two
    readings thread by thread: threads come and go (a thread pool's workers)."""
    found: dict[tuple[int, int], float] = {}
    for pid in pids:
        try:
            tasks = list(Path(f"/proc/{pid}/task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                found[(pid, int(task.name))] = int(
                    (task / "schedstat").read_text().split()[1]) / 1e9
            except (OSError, IndexError, ValueError):
                continue
    return found


def machine_jiffies() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return float(sum(values) - idle), float(sum(values))


class CpuMeter:
    """CPU use by group while something runs, sampled twice a second from /proc so that
    processes which start and end in between (a CLI run, a database backend) are counted.

    Groups: each named root's process tree (``roots``: name → pid), ``bench`` (the rest of
    this process's tree, e.g. load generators), ``postgres`` (every process named so, the
    server's own and any other client's), and ``other`` (everything else on the machine:
    other users' work competing for the same cores). Figures are percent of one core.
    """

    def __init__(self, roots: dict[str, int] | None = None) -> None:
        self.roots = roots or {}
        self._base: dict[int, float] = {}
        self._last: dict[int, tuple[float, str]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._started = 0.0
        self._jiffies = (0.0, 0.0)
        self._started_once = False
        self.elapsed = 0.0
        self.machine_pct = 0.0

    def _group(self, pid: int, comm: str, trees: dict[str, set[int]], mine: set[int]) -> str:
        for name, members in trees.items():
            if pid in members:
                return name
        if pid in mine:
            return "bench"
        return "postgres" if comm == "postgres" else "other"

    def _sample(self) -> None:
        children = _children_map()
        mine = descendants(os.getpid(), children) | {os.getpid()}
        trees = {name: descendants(root, children) | {root} for name, root in self.roots.items()}
        for pid in list(children.keys() | {p for kids in children.values() for p in kids}):
            got = _cpu_and_comm(pid)
            if got is None:
                continue
            cpu, comm = got
            group = self._group(pid, comm, trees, mine)
            if pid not in self._base:
                self._base[pid] = cpu if not self._started_once else 0.0
            self._last[pid] = (cpu, group)

    def _loop(self) -> None:
        while not self._stop.wait(0.5):
            self._sample()

    def __enter__(self) -> CpuMeter:
        self._sample()
        self._started_once = True
        self._started = time.monotonic()
        self._jiffies = machine_jiffies()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        self.elapsed = time.monotonic() - self._started
        busy1, total1 = machine_jiffies()
        busy0, total0 = self._jiffies
        cores = os.cpu_count() or 1
        self.machine_pct = 100 * cores * (busy1 - busy0) / max(total1 - total0, 1)

    def percent(self) -> dict[str, float]:
        """Percent of one core by group over the measured span, and ``all`` from /proc/stat."""
        totals: dict[str, float] = {}
        for pid, (cpu, group) in self._last.items():
            totals[group] = totals.get(group, 0.0) + cpu - self._base.get(pid, 0.0)
        out = {name: 100 * seconds / self.elapsed for name, seconds in totals.items()}
        for name in (*self.roots, "bench", "postgres", "other"):
            out.setdefault(name, 0.0)
        out["all"] = self.machine_pct
        return out


def background_load(seconds: float = 2.0) -> float:
    """Percent of one core the machine spends busy outside this process tree right now."""
    with CpuMeter() as meter:
        time.sleep(seconds)
    pct = meter.percent()
    return pct["other"] + pct["postgres"]


def wait_for_quiet(console: Console, limit_s: float) -> float:
    """Wait (up to ``limit_s``) until the rest of the machine uses under half a core; return
    the last reading. Two cores are shared: someone else's build skews every figure."""
    deadline = time.monotonic() + limit_s
    with console.status("checking that the machine is quiet") as status:
        while True:
            load = background_load()
            if load < 50 or time.monotonic() >= deadline:
                break
            status.update(f"waiting for other work on the machine to finish "
                          f"({load:.0f} % of a core busy elsewhere)")
    colour = "green" if load < 50 else "yellow"
    console.print(f"[{colour}]background load before the run: {load:.0f} % of one core"
                  f"[/{colour}]")
    return load


def code_version() -> str:
    """The commit under test, with ``+dirty`` when ``src/`` has uncommitted changes (read-only
    git commands only); ``BENCH_CODE_VERSION`` overrides it (a tree exported with
    ``git archive``, which is no repository)."""
    if os.environ.get("BENCH_CODE_VERSION"):
        return os.environ["BENCH_CODE_VERSION"]
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO,
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], cwd=REPO,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def processes_cpu_s(pids: Iterable[int]) -> float:
    """User plus system CPU, in seconds, of the processes ``pids`` (those gone are skipped),
    from ``/proc/PID/stat``: so the database's machine must be this one."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")
