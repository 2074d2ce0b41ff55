"""Where the time and memory of the benchmarks go (the evidence in benchmarks/README.md).

    python benchmarks/profile_misses.py [--repeat 7] [--only a,b,cd]

(a)  the remaining miss. Median phase timelines of ``check NAME`` and of the minimal script
     (trace_check.py: imports, keyring, client, each request and TCP + TLS connect, garbage
     collections, write-back), with what the parent measures outside them (interpreter start
     and teardown); the modules only ``check`` imports (``-X importtime``, median self time,
     by family and by package); and what-ifs run interleaved that size each part of the gap:
     no key record, no write-back, no cyclic GC, no interpreter teardown, and the minimal
     script on httpx.AsyncClient (the async stack alone).
(b)  one traced 20-profile check at 300 ms: verifications in flight, keyring reads, TCP
     listen-queue counters; and 20 concurrent ``SecretStore.load()`` calls, repeated, as the
     package ships them (its backend calls are serialised): how many fail.
(cd) median start-up timeline of ``qlik-tui setup`` vs the bare app (trace_tui.py), modules
     imported before the first frame that the bare app does not import, and the peak RSS of
     import-only probes.
Slow and noisy by nature: never a test. What-ifs are options of the traced child; the package
itself is not changed.
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
            f"    {label + calls:<72} at {_median(starts):6.1f}  took {_median(took):6.1f}"
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


# families of the modules only A imports (the rest is "other")
ASYNC_STACK = frozenset({"asyncio", "_asyncio", "anyio", "sniffio", "typing_extensions"})


def _group(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:3]) if parts[0] == "qlik_tui" else parts[0]


def _family(module: str) -> str:
    top = module.partition(".")[0]
    if top in ASYNC_STACK or module.startswith("concurrent.futures"):
        return "async stack (asyncio, anyio, sniffio, typing_extensions, concurrent.futures)"
    return "qlik_tui's own modules" if top == "qlik_tui" else "other"


def _only_in(
    a_runs: list[dict[str, int]], b_runs: list[dict[str, int]], top: int = 14
) -> list[str]:
    """Modules imported only by A: median over runs of the summed self time, by family and
    by package."""
    b_modules = {m for r in b_runs for m in r}
    lines = []
    for key in (_family, _group):
        per_run: list[dict[str, float]] = []
        for r in a_runs:
            groups: dict[str, float] = defaultdict(float)
            for module, self_us in r.items():
                if module not in b_modules:
                    groups[key(module)] += self_us / 1000
            per_run.append(groups)
        names = {g for r in per_run for g in r}
        medians = {g: _median(r.get(g, 0.0) for r in per_run) for g in names}
        if key is _family:
            total = _median(sum(r.values()) for r in per_run)
            lines.append(
                f"    total {total:.1f} ms self time in modules B never imports; by family:"
            )
            shown = sorted(medians.items(), key=lambda item: -item[1])
        else:
            lines.append("    largest packages:")
            shown = sorted(medians.items(), key=lambda item: -item[1])[:top]
        lines.extend(f"      {ms:6.1f} ms  {name}" for name, ms in shown)
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

EXITED = "(exit handlers done: threads joined)"  # trace_check.py's last event
OUTSIDE = "(outside the trace: interpreter start + teardown)"


def _traced(
    argv: Sequence[str], env: dict[str, str], path: Path
) -> dict[str, tuple[float, float, int]]:
    """One traced run: its timeline, plus what the parent measured beyond it."""
    began = time.perf_counter()
    _run(argv, env)
    wall_ms = (time.perf_counter() - began) * 1000
    timeline = _durations(_events(path))
    exited = timeline[EXITED][0]
    timeline[OUTSIDE] = (exited + 0.01, wall_ms - exited, 1)  # listed after EXITED
    timeline["(wall, as the parent measured it)"] = (0.0, wall_ms, 1)
    return timeline


def profile_a(world: World, repeat: int, scratch: Path) -> None:
    print("(a) check 1 profile vs the minimal script")
    trace = str(HERE / "trace_check.py")
    name, origin = world.fast_profile, world.fast.origin
    check_runs, minimal_runs = [], []
    for i in range(repeat + 1):
        for kind, extra in (("check", [name]), ("minimal", ["--minimal", name, origin])):
            path = scratch / f"a-{kind}-{i}.json"
            timeline = _traced([PYTHON, trace, "--events", str(path), *extra], world.env, path)
            if i:  # the first pair warms up
                (check_runs if kind == "check" else minimal_runs).append(timeline)
    print(f"  median timeline over {repeat} runs, ms since the script's first line")
    print("  A: qlik-tui check (trace_check.py)")
    print("\n".join(_median_timeline(check_runs)))
    print("  B: minimal script (trace_check.py --minimal)")
    print("\n".join(_median_timeline(minimal_runs)))

    check_imports, minimal_imports = [], []
    for _ in range(repeat):
        done = _run([PYTHON, "-X", "importtime", "-m", "qlik_tui", "check", name], world.env)
        check_imports.append(_importtime(done.stderr))
        minimal = [PYTHON, "-X", "importtime", str(HERE / "minimal_check.py"), name, origin]
        minimal_imports.append(_importtime(_run(minimal, world.env).stderr))
    print("  imports (-X importtime, which inflates self times somewhat):")
    print("\n".join(_only_in(check_imports, minimal_imports)))


A_WHAT_IFS = {
    "check (traced)": [],
    "  without the key record (--no-key-record)": ["--no-key-record"],
    "  without the write-back (--no-write-back)": ["--no-write-back"],
    "  connection reused after the 301 (--reuse-after-redirect)": ["--reuse-after-redirect"],
    "  without cyclic GC (--gc-off)": ["--gc-off"],
    "  without interpreter teardown (--fast-exit)": ["--fast-exit"],
    "  all five": [
        "--no-key-record",
        "--no-write-back",
        "--reuse-after-redirect",
        "--gc-off",
        "--fast-exit",
    ],
}


def what_ifs_a(world: World, repeat: int) -> None:
    print("(a) what-ifs, wall time per run, interleaved (all through trace_check.py)")
    trace = str(HERE / "trace_check.py")
    name, origin, email = world.fast_profile, world.fast.origin, world.fast.admin.email
    user = world.fast.admin.name
    plans: dict[str, Callable[[], float]] = {
        key: run.timed([PYTHON, trace, *flags, name], world.env, email)
        for key, flags in A_WHAT_IFS.items()
    }
    plans["  minimal, on httpx.AsyncClient + asyncio.run (--async)"] = run.timed(
        [PYTHON, trace, "--minimal", "--async", name, origin], world.env, user
    )
    plans["  minimal, without interpreter teardown (--fast-exit)"] = run.timed(
        [PYTHON, trace, "--fast-exit", "--minimal", name, origin], world.env, user
    )
    plans["minimal (traced)"] = run.timed(
        [PYTHON, trace, "--minimal", name, origin], world.env, user
    )
    times = _interleave(plans, repeat)
    check = _median(times["check (traced)"])
    minimal = _median(times["minimal (traced)"])
    for key, values in times.items():
        median = _median(values)
        base = minimal if "minimal" in key else check
        delta = (
            f"{(median - base) * 1000:+5.0f} ms"
            if key not in ("check (traced)", "minimal (traced)")
            else " " * 8
        )
        print(
            f"    {key:<60} {median * 1000:5.0f} ms  {delta}  ratio to minimal"
            f" {median / minimal:.2f}  (n={len(values)})"
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
    loads = [e for e in events if e["label"] == "keyring: load key (in a thread)"]
    connects = [e for e in events if e["label"].strip() == "TCP + TLS connect"]
    print(
        f"    wall {took * 1000:.0f} ms; sandbox listen backlog {_backlog()},"
        f" check_concurrency {_concurrency()}"
    )
    print(
        "    TCP counters during the run: "
        + ", ".join(f"{name} +{after[name] - before[name]}" for name in counters)
    )
    spans = [(float(e["start"] or 0), float(e["end"] or 0)) for e in verify]
    took_ms = sorted(end - start for start, end in spans)
    slow = sum(1 for t in took_ms if t > 1500)
    print(
        f"    verifications: {len(spans)}, at most {_max_overlap(spans)} at once, first starts at"
        f" {min(s for s, _ in spans):.0f} ms, last ends at {max(e for _, e in spans):.0f} ms;"
        f" each took median {_median(took_ms):.0f} ms, {slow} took > 1.5 s;"
        f" {len(connects)} TCP + TLS connects"
    )
    load_ms = [float(e["end"] or 0) - float(e["start"] or 0) for e in loads]
    print(
        f"    keyring reads: {len(loads)}, median {_median(load_ms):.0f} ms,"
        f" max {max(load_ms, default=0):.0f} ms (serialised: they queue)"
    )


_CONCURRENT_LOADS = """
import sys, time
from concurrent.futures import ThreadPoolExecutor
from qlik_tui.store.secrets import SecretStore, StoreError
rounds, names = int(sys.argv[1]), sys.argv[2:]
failures = []
began = time.perf_counter()
for _ in range(rounds):
    store = SecretStore()
    with ThreadPoolExecutor(len(names)) as pool:
        for future in [pool.submit(store.load, n) for n in names]:
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
    print(
        f"(b) keyring: {rounds} rounds of {len(names)} SecretStore.load() at once (threads),"
        " as shipped"
    )
    argv = [PYTHON, "-c", _CONCURRENT_LOADS, str(rounds), *names]
    print("    " + _run(argv, world.env).stdout.rstrip())


def _backlog() -> int:
    from qlik_tui.sandbox import _Server

    return int(_Server.request_queue_size)


def _concurrency() -> int:
    from qlik_tui.services.context import Services

    return int(Services.__dataclass_fields__["check_concurrency"].default)


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
                what_ifs_a(world, repeat * 2)
            if "b" in only:
                profile_b(world, scratch)
                keyring_concurrency(world, rounds=50)
            if "cd" in only:
                profile_cd(world, repeat, scratch)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
