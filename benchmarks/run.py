"""Run every qlik-tui benchmark side by side against the sandbox and print a table of ratios.

    python benchmarks/run.py [--runs 15] [--only check-one,…] [--markdown] [--no-bytecode-cache]

Each benchmark compares A (qlik-tui) with B (a baseline) in the same run: one warm-up pair,
then ``--runs`` pairs, A and B interleaved (the order alternates every pair); the medians are
compared. Every run is a fresh subprocess in the same throwaway world (see ``bench_env``).

check-one     ``qlik-tui check NAME`` of one profile  vs  minimal_check.py (keyring + /users/me)
check-many    ``qlik-tui check`` of 20 profiles  vs  of 1 profile, sandbox answering after 300 ms
check-200     the same with 200 profiles: the target is at most 3 times the one profile's time
check-200-lo  200 profiles vs 1 on loopback without added latency (reported, no target)
first-screen  launch until the Welcome's own text is on screen, as a new user sees it: the
              default command ``qlik-tui`` with nothing stored  vs  bare_textual_app.py
first-paint   the same for ``qlik-tui setup``  vs  bare_textual_app.py (the same runs of B)
memory        peak RSS (VmHWM) at that first paint, the same runs as first-paint
rotate        ``qlik-tui rotate NAME`` with the sandbox answering after 300 ms  vs  one such
              round trip (300 ms): the target is at most 4.5 round trips' worth of time
dashboard-N   launch to the dashboard's table painted with N stored profiles (1, 20, 200, 500,
              on the loopback tenant)  vs  bare_textual_app.py: at most 0.5 s more
exec-token    ``qlik-tui exec CLIENT -- true`` of an OAuth profile with a cached access token
              vs  minimal_exec.py (read the cached token from the keyring, run the command)

Every benchmark that talks to the sandbox also reports the TLS handshakes (connections the
sandbox accepted) per run of A and of B.

Exit code: 0 when every target is met, 1 when one is missed, 2 when a benchmark failed to run.
Timings belong here, never in the tests.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import platform
import re
import select
import statistics
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

HERE = Path(__file__).resolve().parent
# The world is built with the tests' own fixtures (keyring daemon, TLS, sandbox): the repository
# root makes ``tests`` importable; this directory is on the path already (bench_env).
sys.path.insert(0, str(HERE.parent))

from bench_env import CLIENT_PROFILE, DASHBOARD_SIZES, World, bench_world  # noqa: E402

PYTHON = sys.executable
QLIK_TUI = [PYTHON, "-m", "qlik_tui"]
SLOW_DELAY_S = 0.3
SLOW_PROFILES = 20
MANY_PROFILES = 200
DASHBOARD_PAINT_TIMEOUT_S = 60.0
DASHBOARD_EXTRA_S = 0.5  # the table within this much of a bare Textual app's first paint
RUN_TIMEOUT_S = 60.0
PAINT_TIMEOUT_S = 30.0
QUIT_TIMEOUT_S = 10.0
TERMINAL_SIZE = (24, 80)  # rows, columns
CTRL_Q = b"\x11"
# The Welcome's own text: its first button, below its paragraphs (qlik_tui/tui/screens/
# welcome.py). Any earlier frame (another screen, a "Reading …" line) does not count.
QLIK_TUI_MARKER = re.compile(rb"Start setup")
BARE_MARKER = re.compile(re.escape(b"bare textual benchmark ready"))
# CSI, OSC, DCS and two-byte escape sequences: what lies between the characters on screen.
_ESCAPES = re.compile(
    rb"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|P[^\x1b]*\x1b\\|[@-Z\\-_])"
)

T = TypeVar("T")


class BenchError(RuntimeError):
    """A run did not do what it should (wrong exit code, no marker, …): no number for it."""


# -- measuring ------------------------------------------------------------------------------------


def interleaved(
    runs: int, run_a: Callable[[], T], run_b: Callable[[], T]
) -> tuple[list[T], list[T]]:
    """One warm-up pair (discarded), then ``runs`` pairs in alternating order."""
    a, b = rotated(runs, run_a, run_b)
    return a, b


def rotated(runs: int, *runners: Callable[[], T]) -> list[list[T]]:
    """One warm-up round (discarded), then ``runs`` rounds of every runner, each round starting
    one runner later than the one before (for two runners: the order alternates)."""
    for run in runners:
        run()
    results: list[list[T]] = [[] for _ in runners]
    for i in range(runs):
        for j in range(len(runners)):
            index = (i + j) % len(runners)
            results[index].append(runners[index]())
    return results


def timed(argv: Sequence[str], env: dict[str, str], expect: str) -> Callable[[], float]:
    """A run: wall time of ``argv`` as a subprocess; it must exit 0 and print ``expect``."""

    def run() -> float:
        start = time.perf_counter()
        done = subprocess.run(
            list(argv),
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
        )
        elapsed = time.perf_counter() - start
        if done.returncode != 0 or expect not in done.stdout:
            command = " ".join(argv[1:4]) + (" …" if len(argv) > 4 else "")
            output = (done.stdout + done.stderr)[-400:]
            raise BenchError(f"{command} exited {done.returncode}: …{output}")
        return elapsed

    return run


@dataclass(frozen=True)
class Paint:
    seconds: float  # launch to the marker on the terminal
    # VmHWM (this process image's peak RSS so far) read right after the marker appeared. Not
    # ru_maxrss from wait4/getrusage: Linux carries the forking parent's peak over the exec.
    hwm_kib: int


def _vm_hwm_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise BenchError(f"no VmHWM for pid {pid}")


def _read(master: int) -> bytes:
    try:
        return os.read(master, 65536)
    except OSError:  # EIO: every slave end is closed, the child is gone
        return b""


def _reap(proc: subprocess.Popen[bytes], master: int, timeout: float) -> bool:
    """Wait for our child while draining its terminal; False on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return True
        ready, _, _ = select.select([master], [], [], 0.02)
        if ready:
            _read(master)
    return False


def first_paint(
    argv: Sequence[str],
    env: dict[str, str],
    marker: re.Pattern[bytes],
    timeout: float = PAINT_TIMEOUT_S,
) -> Paint:
    """Launch ``argv`` on a fresh 80x24 pseudo-terminal; time until ``marker`` is on screen.

    Then ctrl+q, and wait for the exit (killing our own child only if it does not quit)."""
    master, slave = os.openpty()
    rows, columns = TERMINAL_SIZE
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    start = time.perf_counter()
    proc = subprocess.Popen(
        list(argv),
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
        start_new_session=True,
    )
    os.close(slave)
    output = bytearray()
    try:
        seconds = None
        while seconds is None:
            remaining = start + timeout - time.perf_counter()
            if remaining <= 0:
                raise BenchError(f"no first screen within {timeout:g} s: {argv[1:]}")
            ready, _, _ = select.select([master], [], [], remaining)
            if not ready:
                continue
            chunk = _read(master)
            if not chunk:
                text = _ESCAPES.sub(b"", bytes(output)).decode(errors="replace")
                raise BenchError(f"{' '.join(argv[1:])} exited before painting:\n{text[-2000:]}")
            output += chunk
            if marker.search(_ESCAPES.sub(b"", bytes(output))):
                seconds = time.perf_counter() - start
        hwm = _vm_hwm_kib(proc.pid)
        os.write(master, CTRL_Q)
        if not _reap(proc, master, QUIT_TIMEOUT_S):
            raise BenchError(f"{' '.join(argv[1:])} did not quit on ctrl+q")
        return Paint(seconds, hwm)
    finally:
        if proc.returncode is None:
            proc.kill()
            _reap(proc, master, QUIT_TIMEOUT_S)
        os.close(master)


# -- reporting ------------------------------------------------------------------------------------


@dataclass
class Result:
    label: str
    a_name: str
    b_name: str
    unit: str
    target: float | None  # the highest ratio A/B that passes; None: reported only
    a: list[float] = field(default_factory=list)
    b: list[float] = field(default_factory=list)
    error: str | None = None
    note: str = ""
    extra_target_s: float | None = None  # instead of a ratio: the most A may take over B

    @property
    def ratio(self) -> float:
        return statistics.median(self.a) / statistics.median(self.b)

    @property
    def extra_s(self) -> float:
        return statistics.median(self.a) - statistics.median(self.b)

    @property
    def target_text(self) -> str:
        if self.extra_target_s is not None:
            return f"A-B <= {self.extra_target_s * 1000:.0f} ms"
        return "-" if self.target is None else f"<= {self.target}"

    @property
    def verdict(self) -> str:
        if self.error:
            return "ERROR"
        if self.extra_target_s is not None:
            return "PASS" if self.extra_s <= self.extra_target_s else "MISS"
        if self.target is None:
            return "INFO"
        return "PASS" if self.ratio <= self.target else "MISS"


def _fmt(values: list[float], unit: str) -> str:
    median = statistics.median(values)
    if unit == "s":
        return f"{median * 1000:.0f} ms"
    return f"{median / 1024:.1f} MiB"


def _spread(values: list[float], unit: str) -> str:
    if len(values) < 4:
        return "-"
    q1, _, q3 = statistics.quantiles(values, n=4)
    if unit == "s":
        return f"{q1 * 1000:.0f}-{q3 * 1000:.0f} ms"
    return f"{q1 / 1024:.1f}-{q3 / 1024:.1f} MiB"


def table(results: list[Result], markdown: bool) -> str:
    header = ["bench", "A", "B", "n", "median A", "median B", "ratio A/B", "target", "result"]
    rows = [header]
    for r in results:
        if r.error:
            rows.append([r.label, r.a_name, r.b_name, "-", "-", "-", "-", r.target_text, "ERROR"])
            continue
        rows.append(
            [
                r.label,
                r.a_name,
                r.b_name,
                f"{len(r.a)}+{len(r.b)}",
                _fmt(r.a, r.unit),
                _fmt(r.b, r.unit),
                f"{r.ratio:.2f}",
                r.target_text,
                r.verdict,
            ]
        )
    if markdown:
        lines = ["| " + " | ".join(row) + " |" for row in rows]
        lines.insert(1, "|" + "|".join(" --- " for _ in header) + "|")
        return "\n".join(lines)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows
    )


def details(results: list[Result]) -> str:
    lines = ["interquartile ranges (A | B):"]
    for r in results:
        if r.error:
            lines.append(f"  {r.label}: ERROR {r.error}")
        else:
            note = f"  ({r.note})" if r.note else ""
            lines.append(f"  {r.label}: {_spread(r.a, r.unit)} | {_spread(r.b, r.unit)}{note}")
    return "\n".join(lines)


def tcp_counters(*names: str) -> dict[str, int]:
    """TcpExt counters of this network namespace (/proc/net/netstat); -1 when unknown."""
    try:
        with open("/proc/net/netstat", encoding="ascii") as source:
            rows = source.read().splitlines()
    except OSError:
        rows = []
    values: dict[str, int] = {}
    for header, numbers in zip(rows[::2], rows[1::2], strict=False):
        if header.startswith("TcpExt:"):
            values = dict(zip(header.split()[1:], map(int, numbers.split()[1:]), strict=False))
    return {name: values.get(name, -1) for name in names}


def machine() -> str:
    model = "unknown CPU"
    with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


# -- the benchmarks -------------------------------------------------------------------------------


# key -> (A, B, unit, target ratio or None)
SPECS: dict[str, tuple[str, str, str, float | None]] = {
    "check-one": ("check 1 profile", "minimal script", "s", 1.15),
    "check-many": (f"check {SLOW_PROFILES} profiles", "check 1 profile", "s", 1.1),
    "check-200": (f"check {MANY_PROFILES} profiles", "check 1 profile", "s", 3.0),
    "check-200-lo": (f"check {MANY_PROFILES} on loopback", "check 1 on loopback", "s", None),
    "first-screen": ("qlik-tui, nothing stored", "bare Textual app", "s", 1.15),
    "first-paint": ("qlik-tui setup", "bare Textual app", "s", 1.15),
    "memory": ("qlik-tui setup", "bare Textual app", "KiB", 1.3),
    "rotate": ("rotate 1 profile", "one 300 ms round trip", "s", 4.5),
    **{
        f"dashboard-{n}": (f"dashboard table, {n} profiles", "bare Textual app", "s", None)
        for n in DASHBOARD_SIZES
    },
    "exec-token": ("exec OAuth profile -- true", "minimal script", "s", 1.1),
}


def new_result(key: str, error: str | None = None) -> Result:
    a_name, b_name, unit, target = SPECS[key]
    result = Result(key, a_name, b_name, unit, target, error=error)
    if key.startswith("dashboard-"):
        result.extra_target_s = DASHBOARD_EXTRA_S
    return result


class Handshakes:
    """TLS handshakes (connections the sandboxes accepted) made by each run of A and of B."""

    def __init__(self, world: World) -> None:
        self._sandboxes = (world.fast, world.slow)
        self.a: list[int] = []
        self.b: list[int] = []

    def _count(self) -> int:
        return sum(sandbox.connections for sandbox in self._sandboxes)

    def counting(self, run: Callable[[], T], into: list[int]) -> Callable[[], T]:
        def counted() -> T:
            before = self._count()
            value = run()
            into.append(self._count() - before)
            return value

        return counted

    def note(self) -> str:
        def median(values: list[int]) -> str:
            return f"{statistics.median(values):g}" if values else "-"

        return f"TLS handshakes per run: A {median(self.a)}, B {median(self.b)}"


def side_by_side(
    world: World, result: Result, runs: int, run_a: Callable[[], float], run_b: Callable[[], float]
) -> Result:
    handshakes = Handshakes(world)
    result.a, result.b = interleaved(
        runs, handshakes.counting(run_a, handshakes.a), handshakes.counting(run_b, handshakes.b)
    )
    result.note = handshakes.note()
    return result


def bench_check_vs_minimal(world: World, runs: int) -> Result:
    result = new_result("check-one")
    email = world.fast.admin.email
    name = world.fast.admin.name
    run_a = timed([*QLIK_TUI, "check", world.fast_profile], world.env, email)
    run_b = timed(
        [PYTHON, str(HERE / "minimal_check.py"), world.fast_profile, world.fast.origin],
        world.env,
        name,
    )
    return side_by_side(world, result, runs, run_a, run_b)


def bench_exec_token(world: World, runs: int) -> Result:
    result = new_result("exec-token")
    run_a = timed([*QLIK_TUI, "exec", CLIENT_PROFILE, "--", "true"], world.env, "")
    run_b = timed([PYTHON, str(HERE / "minimal_exec.py"), CLIENT_PROFILE, "true"], world.env, "")
    result.a, result.b = interleaved(runs, run_a, run_b)
    return result


def bench_check_many(world: World, runs: int, key: str, names: Sequence[str]) -> Result:
    """``check`` of ``names`` vs of the first of them, in the same run."""
    result = new_result(key)
    email = world.fast.admin.email if key == "check-200-lo" else world.slow.admin.email
    run_a = timed([*QLIK_TUI, "check", *names], world.env, email)
    run_b = timed([*QLIK_TUI, "check", names[0]], world.env, email)
    before = tcp_counters("ListenOverflows")["ListenOverflows"]
    side_by_side(world, result, runs, run_a, run_b)
    after = tcp_counters("ListenOverflows")["ListenOverflows"]
    if before >= 0:  # connections the sandbox's listen queue dropped (1 s SYN retry each)
        result.note += f"; TCP listen-queue overflows: {after - before}"
    return result


def bench_dashboard(world: World, runs: int, count: int) -> Result:
    """Launch to the dashboard's table on screen: its first profile's name painted, by its
    first 7 characters (at 80 columns a name may be shortened with "…" while checks run)."""
    result = new_result(f"dashboard-{count}")
    marker = re.compile(re.escape(world.many_profiles[0][:7].encode()))
    env = world.dashboard_env(count)

    def run_a() -> float:
        argv = [*QLIK_TUI, "dashboard"]
        return first_paint(argv, env, marker, DASHBOARD_PAINT_TIMEOUT_S).seconds

    def run_b() -> float:
        return first_paint([PYTHON, str(HERE / "bare_textual_app.py")], env, BARE_MARKER).seconds

    return side_by_side(world, result, runs, run_a, run_b)


def bench_tui(world: World, runs: int) -> tuple[Result, Result, Result]:
    screen, paint = new_result("first-screen"), new_result("first-paint")
    memory = new_result("memory")
    # A new user's machine: the same keyring, but no qlik-tui config yet (no profiles file).
    fresh = world.root / "fresh-config"
    fresh.mkdir(exist_ok=True)
    new_user = {**world.env, "XDG_CONFIG_HOME": str(fresh)}
    default, setup, bare = rotated(
        runs,
        lambda: first_paint(QLIK_TUI, new_user, QLIK_TUI_MARKER),
        lambda: first_paint([*QLIK_TUI, "setup"], world.env, QLIK_TUI_MARKER),
        lambda: first_paint([PYTHON, str(HERE / "bare_textual_app.py")], world.env, BARE_MARKER),
    )
    bare_seconds = [p.seconds for p in bare]
    screen.a, screen.b = [p.seconds for p in default], bare_seconds
    paint.a, paint.b = [p.seconds for p in setup], bare_seconds
    memory.a, memory.b = [float(p.hwm_kib) for p in setup], [float(p.hwm_kib) for p in bare]
    if list(fresh.iterdir()):
        raise BenchError(f"qlik-tui wrote to the new user's config dir: {list(fresh.iterdir())}")
    return screen, paint, memory


def bench_rotate(world: World, runs: int) -> Result:
    """The whole command (start-up, keyring, create, prove, store, delete, update), every run
    renewing the key the run before stored. B is the round trip itself: the sandbox's delay."""
    result = new_result("rotate")
    world.slow.set_config(max_keys_per_user=1000)  # the slow tenant's user holds many keys
    world.slow.clear_requests()
    handshakes = Handshakes(world)
    run_a = handshakes.counting(
        timed([*QLIK_TUI, "rotate", world.slow_profiles[0]], world.env, "Renewed"), handshakes.a
    )
    run_a()  # warm-up
    result.a = [run_a() for _ in range(runs)]
    result.b = [SLOW_DELAY_S] * runs
    writes = [r for r in world.slow.requests if r.method in ("POST", "DELETE")]
    result.note = f"requests per rotation: {len(world.slow.requests) / (runs + 1):.1f}"
    result.note += f" ({len(writes) / (runs + 1):.1f} of rate tier 2)"
    result.note += f"; TLS handshakes per rotation: {statistics.median(handshakes.a):g}"
    in_process = statistics.median(rotate_in_process(world, runs))
    result.note += (
        f"; the rotation alone, in this process (no interpreter start-up): "
        f"{in_process * 1000:.0f} ms = {in_process / SLOW_DELAY_S:.2f} round trips"
    )
    return result


def rotate_in_process(world: World, runs: int) -> list[float]:
    """``rotate_profile`` timed inside this process (the world's keyring and profiles)."""
    import asyncio

    from qlik_tui.services.context import Services
    from qlik_tui.services.rotation import RotationStatus, rotate_profile

    services = Services.default()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = asyncio.run(rotate_profile(services, world.slow_profiles[1]))
        times.append(time.perf_counter() - start)
        if done.status is not RotationStatus.RENEWED:
            raise BenchError(f"in-process rotation: {done.status.value} {done.outcome}")
    return times


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="measured runs of A and of B")
    parser.add_argument(
        "--only", default=",".join(SPECS), help=f"comma-separated subset of {','.join(SPECS)}"
    )
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="keep the inherited PYTHONDONTWRITEBYTECODE (qlik_tui then compiles from source)",
    )
    args = parser.parse_args(argv)
    only = {part.strip() for part in args.only.split(",") if part.strip()}
    runs = max(1, args.runs)

    print(f"machine: {machine()}", flush=True)
    started = time.monotonic()
    results: list[Result] = []
    cache = not args.no_bytecode_cache
    with bench_world(SLOW_DELAY_S, MANY_PROFILES, bytecode_cache=cache) as world:
        print(f"sandbox: HTTPS on {world.fast.origin} and {world.slow.origin}", flush=True)
        print(f"bytecode: {'cached (PYTHONPYCACHEPREFIX)' if cache else 'as inherited'}")
        plans: list[tuple[tuple[str, ...], Callable[[], list[Result]]]] = [
            (("check-one",), lambda: [bench_check_vs_minimal(world, runs)]),
            (
                ("check-many",),
                lambda: [
                    bench_check_many(world, runs, "check-many", world.slow_profiles[:SLOW_PROFILES])
                ],
            ),
            (
                ("check-200",),
                lambda: [bench_check_many(world, runs, "check-200", world.slow_profiles)],
            ),
            (
                ("check-200-lo",),
                lambda: [
                    bench_check_many(
                        world, runs, "check-200-lo", world.many_profiles[:MANY_PROFILES]
                    )
                ],
            ),
            (("first-screen", "first-paint", "memory"), lambda: list(bench_tui(world, runs))),
            (("rotate",), lambda: [bench_rotate(world, runs)]),
            *(
                ((f"dashboard-{n}",), lambda n=n: [bench_dashboard(world, runs, n)])
                for n in DASHBOARD_SIZES
            ),
            (("exec-token",), lambda: [bench_exec_token(world, runs)]),
        ]
        for keys, plan in plans:
            if not only & set(keys):
                continue
            print(f"running {' and '.join(keys)} …", flush=True)
            try:
                results.extend(r for r in plan() if r.label in only)
            except (BenchError, subprocess.TimeoutExpired, OSError) as exc:
                results.extend(new_result(key, str(exc)[:500]) for key in keys if key in only)
    print(f"total {time.monotonic() - started:.0f} s\n")
    print(table(results, args.markdown))
    print()
    print(details(results))
    if any(r.error for r in results):
        return 2
    return 0 if all(r.verdict in ("PASS", "INFO") for r in results) else 1  # INFO: no target


if __name__ == "__main__":
    raise SystemExit(main())
