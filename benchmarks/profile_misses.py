"""Where the time and memory of the missed benchmarks go (the evidence in benchmarks/README.md).

    python benchmarks/profile_misses.py [--repeat 7] [--only a,b,cd]

(a)  median phase timeline of ``check NAME`` vs the minimal script (trace_check.py), the
     modules only ``check`` imports (``-X importtime``, median self time per package), and
     (a) again with the sandbox's Nagle stall removed (a what-if).
(b)  one traced 20-profile check: waves of verifications, keyring reads, TCP listen-queue
     overflows during the run; then what-ifs: sandbox listen backlog 128 and
     ``check_concurrency`` 8 / 20 / 64.
(cd) median start-up timeline of ``qlik-tui setup`` vs the bare app (trace_tui.py), modules
     imported before the first frame that the bare app does not import, and the peak RSS of
     import-only probes.
Slow and noisy by nature: never a test. What-ifs patch the sandbox's classes in this process
or a setting in a traced child; the package itself is not changed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TypeVar

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run  # noqa: E402
from bench_env import World, bench_world  # noqa: E402

PYTHON = sys.executable
T = TypeVar("T")
BOTH_WHAT_IFS = ("--lazy-services", "--defer-footer")


def _median(values: Iterable[float]) -> float:
    items = list(values)
    return statistics.median(items) if items else 0.0


def _events(path: Path) -> list[dict[str, float | str | None]]:
    with open(path, encoding="utf-8") as source:
        events: list[dict[str, float | str | None]] = json.load(source)
    return events


def _durations(events: list[dict[str, float | str | None]]) -> dict[str, tuple[float, float, int]]:
    """label -> (first start, time covered by its calls (nested calls counted once), calls)."""
    spans: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for event in events:
        start = float(event["start"] or 0)
        end = float(event["end"]) if event["end"] is not None else start
        spans[str(event["label"])].append((start, end))
    found: dict[str, tuple[float, float, int]] = {}
    for label, intervals in spans.items():
        covered, reach = 0.0, float("-inf")
        for start, end in sorted(intervals):
            if end > reach:
                covered += end - max(start, reach)
                reach = end
        found[label] = (min(s for s, _ in intervals), covered, len(intervals))
    return found


def _median_timeline(runs: list[dict[str, tuple[float, float, int]]]) -> list[str]:
    labels = sorted(
        {label for r in runs for label in r},
        key=lambda la: _median(r[la][0] for r in runs if la in r),
    )
    lines = []
    for label in labels:
        starts = [r[label][0] for r in runs if label in r]
        took = [r[label][1] for r in runs if label in r]
        count = max(r[label][2] for r in runs if label in r)
        calls = f" ({count} calls)" if count > 1 else ""
        lines.append(
            f"    {label + calls:<62} at {_median(starts):6.1f}  took {_median(took):6.1f}"
        )
    return lines


def _importtime(stderr_text: str) -> dict[str, int]:
    """module -> self time (us) from ``-X importtime`` output."""
    modules: dict[str, int] = {}
    for line in stderr_text.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _cumulative, name = line.split(":", 1)[1].split("|")
        modules[name.strip()] = int(self_us)
    return modules


def _group(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:3]) if parts[0] == "qlik_tui" else parts[0]


def _only_in(
    a_runs: list[dict[str, int]], b_runs: list[dict[str, int]], top: int = 14
) -> list[str]:
    """Packages imported only by A: median over runs of the summed self time per package."""
    b_modules = {m for r in b_runs for m in r}
    per_run: list[dict[str, float]] = []
    for r in a_runs:
        groups: dict[str, float] = defaultdict(float)
        for module, self_us in r.items():
            if module not in b_modules:
                groups[_group(module)] += self_us / 1000
        per_run.append(groups)
    names = {g for r in per_run for g in r}
    medians = {g: _median(r.get(g, 0.0) for r in per_run) for g in names}
    total = _median(sum(r.values()) for r in per_run)
    lines = [f"    total {total:.1f} ms self time in modules B never imports; largest:"]
    for name, ms in sorted(medians.items(), key=lambda item: -item[1])[:top]:
        lines.append(f"      {ms:6.1f} ms  {name}")
    return lines


def _interleave(plans: dict[str, Callable[[], T]], runs: int) -> dict[str, list[T]]:
    """One warm-up round, then ``runs`` rounds; the order rotates every round."""
    keys = list(plans)
    for key in keys:
        plans[key]()
    results: dict[str, list[T]] = {key: [] for key in keys}
    for i in range(runs):
        for key in keys[i % len(keys) :] + keys[: i % len(keys)]:
            results[key].append(plans[key]())
    return results


def _run(argv: Sequence[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        list(argv), env=env, capture_output=True, text=True, timeout=run.RUN_TIMEOUT_S
    )
    if done.returncode != 0:
        raise run.BenchError(f"{' '.join(argv)} exited {done.returncode}: {done.stderr[-2000:]}")
    return done


# -- (a) ------------------------------------------------------------------------------------------


def profile_a(world: World, repeat: int, scratch: Path) -> None:
    print("(a) check 1 profile vs the minimal script")
    trace = str(HERE / "trace_check.py")
    name, origin = world.fast_profile, world.fast.origin
    check_runs, minimal_runs = [], []
    for i in range(repeat + 1):
        for kind, extra in (("check", [name]), ("minimal", ["--minimal", name, origin])):
            path = scratch / f"a-{kind}-{i}.json"
            _run([PYTHON, trace, "--events", str(path), *extra], world.env)
            if i:  # the first pair warms up
                (check_runs if kind == "check" else minimal_runs).append(_durations(_events(path)))
    print(f"  median timeline over {repeat} runs, ms since the script started")
    print("  A: qlik-tui check")
    print("\n".join(_median_timeline(check_runs)))
    print("  B: minimal script")
    print("\n".join(_median_timeline(minimal_runs)))

    check_imports, minimal_imports = [], []
    for _ in range(repeat):
        done = _run([PYTHON, "-X", "importtime", "-m", "qlik_tui", "check", name], world.env)
        check_imports.append(_importtime(done.stderr))
        minimal = [PYTHON, "-X", "importtime", str(HERE / "minimal_check.py"), name, origin]
        minimal_imports.append(_importtime(_run(minimal, world.env).stderr))
    print("  imports (-X importtime):")
    print("\n".join(_only_in(check_imports, minimal_imports)))


def what_if_direct_backend(world: World, repeat: int) -> None:
    print("(a) what-if: Secret Service backend taken directly (no keyring.get_keyring())")
    trace = str(HERE / "trace_check.py")
    name, origin, email = world.fast_profile, world.fast.origin, world.fast.admin.email
    plans = {
        "check (traced)": run.timed([PYTHON, trace, name], world.env, email),
        "check (traced, direct backend)": run.timed(
            [PYTHON, trace, "--direct-backend", name], world.env, email
        ),
        "minimal": run.timed(
            [PYTHON, str(HERE / "minimal_check.py"), name, origin], world.env, world.fast.admin.name
        ),
    }
    times = _interleave(plans, repeat)
    minimal = _median(times["minimal"])
    for key, values in times.items():
        print(
            f"    {key:<32} {_median(values) * 1000:5.0f} ms  ratio to minimal"
            f" {_median(values) / minimal:.2f}  (n={len(values)})"
        )


def what_if_no_nagle(repeat: int) -> None:
    print("(a) what-if: the sandbox sends with TCP_NODELAY (no ~40 ms Nagle stall per answer)")
    with bench_world(slow_profiles=1, tcp_nodelay=True) as world:
        result = run.bench_check_vs_minimal(world, repeat)
    print(
        f"    check {_median(result.a) * 1000:.0f} ms, minimal {_median(result.b) * 1000:.0f} ms,"
        f" ratio {result.ratio:.2f} (n={len(result.a)})"
    )


# -- (b) ------------------------------------------------------------------------------------------


def _max_overlap(intervals: list[tuple[float, float]]) -> int:
    edges = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    most = current = 0
    for _, step in edges:
        current += step
        most = max(most, current)
    return most


def profile_b(world: World, scratch: Path) -> None:
    print(f"(b) check {len(world.slow_profiles)} profiles, sandbox delay {world.slow.delay:g} s")
    trace = str(HERE / "trace_check.py")
    _run([*run.QLIK_TUI, "check", *world.slow_profiles], world.env)  # warm-up
    path = scratch / "b.json"
    counters = ("ListenOverflows", "ListenDrops", "TCPSynRetrans")
    before = run.tcp_counters(*counters)
    began = time.perf_counter()
    _run([PYTHON, trace, "--events", str(path), *world.slow_profiles], world.env)
    took = time.perf_counter() - began
    after = run.tcp_counters(*counters)
    events = _events(path)
    verify = [e for e in events if e["label"] == "verify_key (HTTP)"]
    loads = [e for e in events if e["label"] == "keyring: load key"]
    print(f"    wall {took * 1000:.0f} ms; sandbox listen backlog {_backlog()}")
    print(
        "    TCP counters during the run: "
        + ", ".join(f"{name} +{after[name] - before[name]}" for name in counters)
    )
    spans = [(float(e["start"] or 0), float(e["end"] or 0)) for e in verify]
    took_ms = sorted(end - start for start, end in spans)
    slow = sum(1 for t in took_ms if t > 1000)
    print(
        f"    verifications: {len(spans)}, at most {_max_overlap(spans)} at once, first starts at"
        f" {min(s for s, _ in spans):.0f} ms, last ends at {max(e for _, e in spans):.0f} ms;"
        f" each took median {_median(took_ms):.0f} ms, {slow} took > 1 s"
    )
    load_ms = [float(e["end"] or 0) - float(e["start"] or 0) for e in loads]
    print(
        f"    keyring reads: {len(loads)}, median {_median(load_ms):.0f} ms,"
        f" max {max(load_ms, default=0):.0f} ms"
    )


_CONCURRENT_LOADS = """
import sys, threading, time
from concurrent.futures import ThreadPoolExecutor
from qlik_tui.store.secrets import SecretStore, StoreError
serial, rounds, names = sys.argv[1] == "serial", int(sys.argv[2]), sys.argv[3:]
lock = threading.Lock()
failures = []
began = time.perf_counter()
for _ in range(rounds):
    store = SecretStore()
    def load(name):
        if serial:
            with lock:
                return store.load(name)
        return store.load(name)
    with ThreadPoolExecutor(len(names)) as pool:
        for future in [pool.submit(load, n) for n in names]:
            try:
                future.result()
            except StoreError as exc:
                failures.append(f"{type(exc).__name__}: {exc.detail or exc.problem}")
took = (time.perf_counter() - began) / rounds * 1000
print(f"{len(failures)} of {rounds * len(names)} reads failed, {took:.0f} ms per round")
for failure in sorted(set(failures)):
    print("      " + failure[:200])
"""


def keyring_concurrency(world: World, rounds: int) -> None:
    names = world.slow_profiles
    print(f"(b) keyring: {rounds} rounds of {len(names)} SecretStore.load() at once (threads)")
    for mode in ("concurrent", "serial"):
        argv = [PYTHON, "-c", _CONCURRENT_LOADS, mode, str(rounds), *names]
        print(f"    {mode}: " + _run(argv, world.env).stdout.rstrip())


def _backlog() -> int:
    from qlik_tui.sandbox import _Server

    return int(_Server.request_queue_size)


def what_if_b(repeat: int) -> None:
    print("(b) what-ifs: sandbox listen backlog x Services.check_concurrency")
    trace = str(HERE / "trace_check.py")
    for backlog in (None, 128):
        with bench_world(listen_backlog=backlog) as world:
            names = world.slow_profiles
            plans: dict[str, Callable[[], float]] = {
                "one": run.timed([PYTHON, trace, names[0]], world.env, world.slow.admin.email),
            }
            for concurrency in (8, 20, 64):
                argv = [PYTHON, trace, "--concurrency", str(concurrency), *names]
                plans[str(concurrency)] = run.timed(argv, world.env, world.slow.admin.email)
            times = _interleave(plans, repeat)
            one = _median(times["one"])
            shown = backlog if backlog is not None else f"{_backlog()} (as shipped)"
            cells = ", ".join(
                f"concurrency {key}: {_median(times[key]) / one:.2f}" for key in ("8", "20", "64")
            )
            print(f"    backlog {shown}: ratio 20/1 with {cells} (n={repeat})")


# -- (c)/(d) --------------------------------------------------------------------------------------


def profile_cd(world: World, repeat: int, scratch: Path) -> None:
    print("(c) launch to first frame: qlik-tui setup vs the bare Textual app")
    tracer = str(HERE / "trace_tui.py")
    programs = {
        "qlik-tui setup": (["-m", "qlik_tui", "setup"], run.QLIK_TUI_MARKER),
        "bare app": ([str(HERE / "bare_textual_app.py")], run.BARE_MARKER),
    }
    timelines: dict[str, list[dict[str, tuple[float, float, int]]]] = defaultdict(list)
    for i in range(-1, repeat):  # round -1 warms up (bytecode cache)
        for name, (argv, marker) in programs.items():
            path = scratch / f"cd-{i}-{name.split()[0]}.json"
            run.first_paint([PYTHON, tracer, str(path), *argv], world.env, marker)
            if i >= 0:
                timelines[name].append(_durations(_events(path)))
    print(f"  median timeline over {repeat} runs, ms since the launcher started")
    for name, runs in timelines.items():
        print(f"  {name}:")
        print("\n".join(_median_timeline(runs)))

    launcher = str(HERE / "with_import_log.py")
    imports: dict[str, list[dict[str, int]]] = defaultdict(list)
    for i in range(repeat):
        for name, (argv, marker) in programs.items():
            log = scratch / f"imports-{i}-{name.split()[0]}.txt"
            snapshot: list[str] = []

            def keep(_pid: int, log: Path = log, snapshot: list[str] = snapshot) -> None:
                snapshot.append(log.read_text(encoding="utf-8", errors="replace"))

            command = [PYTHON, "-X", "importtime", launcher, str(log), *argv]
            run.first_paint(command, world.env, marker, on_paint=keep)
            imports[name].append(_importtime(snapshot[0]))
    print("  imports before the first frame (-X importtime):")
    print("\n".join(_only_in(imports["qlik-tui setup"], imports["bare app"])))

    print("(c)/(d) what-ifs (trace_tui.py): lazy services = Services.default() imports neither")
    print("        httpx nor keyring; both = that and the Footer mounted after the first refresh")
    bare_argv, bare_marker = programs["bare app"]
    plans = {
        "qlik-tui setup": lambda: run.first_paint(
            [PYTHON, tracer, str(scratch / "w.json"), "-m", "qlik_tui", "setup"],
            world.env,
            run.QLIK_TUI_MARKER,
        ),
        "qlik-tui setup, lazy services": lambda: run.first_paint(
            [PYTHON, tracer, str(scratch / "w.json"), "--lazy-services", "-m", "qlik_tui", "setup"],
            world.env,
            run.QLIK_TUI_MARKER,
        ),
        "qlik-tui setup, both": lambda: run.first_paint(
            [PYTHON, tracer, str(scratch / "w.json"), *BOTH_WHAT_IFS, "-m", "qlik_tui", "setup"],
            world.env,
            run.QLIK_TUI_MARKER,
        ),
        "bare app": lambda: run.first_paint(
            [PYTHON, tracer, str(scratch / "w.json"), *bare_argv], world.env, bare_marker
        ),
    }
    paints = _interleave(plans, repeat)
    bare_s = _median(p.seconds for p in paints["bare app"])
    bare_kib = _median(p.hwm_kib for p in paints["bare app"])
    for key, values in paints.items():
        seconds = _median(p.seconds for p in values)
        kib = _median(p.hwm_kib for p in values)
        print(
            f"    {key:<31} first frame {seconds * 1000:4.0f} ms (ratio {seconds / bare_s:.2f}),"
            f" VmHWM {kib / 1024:.1f} MiB (ratio {kib / bare_kib:.2f})  (n={len(values)})"
        )

    print("(d) peak RSS (VmHWM) of import-only probes")
    probes = {
        "python -c pass": "pass",
        "textual.app + textual.widgets": "import textual.app, textual.widgets",
        "+ qlik_tui.tui.app": "import textual.app, textual.widgets, qlik_tui.tui.app",
        "+ qlik_tui.services.context": (
            "import textual.app, textual.widgets, qlik_tui.tui.app, qlik_tui.services.context"
        ),
        "qlik_tui.services.context alone": "import qlik_tui.services.context",
        "httpx alone": "import httpx",
        "keyring + secretstorage alone": "import keyring, secretstorage",
    }
    report = "import re; print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())[1])"
    for label, code in probes.items():
        values = [
            int(_run([PYTHON, "-c", f"{code}\n{report}"], world.env).stdout) for _ in range(3)
        ]
        print(f"    {_median(values) / 1024:6.1f} MiB  {label}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs per median")
    parser.add_argument("--only", default="a,b,cd", help="comma-separated subset of a,b,cd")
    args = parser.parse_args(argv)
    only = {part.strip() for part in args.only.split(",")}
    repeat = max(1, args.repeat)
    print(f"machine: {run.machine()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="qlik-tui-profile-") as scratch_dir:
        scratch = Path(scratch_dir)
        with bench_world() as world:
            if "a" in only:
                profile_a(world, repeat, scratch)
                what_if_direct_backend(world, repeat * 2)
            if "b" in only:
                profile_b(world, scratch)
                keyring_concurrency(world, rounds=50)
            if "cd" in only:
                profile_cd(world, repeat, scratch)
        if "a" in only:
            what_if_no_nagle(repeat * 2)
        if "b" in only:
            what_if_b(max(3, repeat // 2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
