#!/usr/bin/env python3
"""bench/launch: `meshlab launch` of every lab against the fakes with their latency model on.

  python3 bench/launch.py BUILD_DIR [--runs N] [--scale S] [--lab NAME ...]   (also: make bench)

Per lab and run, in a fresh sandbox (tests/e2e/harness.py): launch, launch again, delete.
Prints the medians against issue 3's targets:
- the plan's wall time in the first launch (report.json totals.wall_ms: resume checks and
  execution) vs its critical path under the same latencies (the longest chain of needs by step
  duration, totals.critical_path_ms): target wall <= 1.10 x path. `setup` is the rest of the
  process's time: loading, rendering (a fresh sandbox generates the CA) and tool checks;
- the relaunch of the up lab: target < 2 % of the first launch, and zero provisioning calls;
  `rl cpu` is its CPU time with the fakes it ran, which bound it (bench/README.md);
- meshlab's own CPU time and peak RSS (getrusage(RUSAGE_SELF) in report.json: wait4 on the
  meshlab process would also count the fake tools it waited for; that figure is printed too).
Figures are printed, never asserted: on a shared machine the times run high.
"""

import argparse
import json
import os
import statistics
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.realpath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "e2e"))

import harness  # noqa: E402


def one_run(meshlab, lab, scale, jobs):
    sandbox = harness.Sandbox(meshlab, latency=True, latency_scale=scale)
    try:
        sandbox.prepare(lab)
        first = sandbox.run_measured("launch", "-f", harness.lab_file(lab), "--jobs", str(jobs))
        if first.returncode != 0:
            raise RuntimeError(f"launch of {lab} failed:\n{first.stderr[-3000:]}")
        report = json.loads(harness.read(os.path.join(sandbox.state_dir(lab), "report.json")))
        calls = len(sandbox.calls())
        second = sandbox.run_measured("launch", "-f", harness.lab_file(lab), "--jobs", str(jobs))
        if second.returncode != 0:
            raise RuntimeError(f"relaunch of {lab} failed:\n{second.stderr[-3000:]}")
        again = sandbox.calls()[calls:]
        sandbox.run("delete", "-f", harness.lab_file(lab), "--registries")
    finally:
        sandbox.close()
    own = report["meshlab"]
    return {
        "process": first.elapsed,
        "wall": report["totals"]["wall_ms"] / 1000,
        "setup": first.elapsed - report["totals"]["wall_ms"] / 1000,
        "path": report["totals"]["critical_path_ms"] / 1000,
        "relaunch": second.elapsed,
        # meshlab and the fakes it waited for: on a busy machine the relaunch's wall time grows
        # with the load, its CPU time much less.
        "relaunch_cpu": second.rusage.ru_utime + second.rusage.ru_stime,
        "per_check": second.elapsed / max(len(again), 1),
        "provisioning": sum(1 for c in again if harness.is_provisioning(c)),
        "checks": len(again),
        "cpu": (own["user_cpu_ms"] + own["system_cpu_ms"]) / 1000,
        "rss_mb": own["max_rss_kb"] / 1024,
        "rss_with_tools_mb": first.rusage.ru_maxrss / 1024,
        "steps": report["totals"]["steps"],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("build_dir")
    parser.add_argument("--runs", type=int, default=3)
    # At 1 the fakes take the real tools' times, so the first launch and its relaunch keep their real
    # proportions (a lower scale compresses the launch's waits but not the fakes' own start-up,
    # which then inflates the relaunch share); a lab takes a few minutes a run.
    parser.add_argument("--scale", type=float, default=1.0,
                        help="MESHLAB_FAKE_LATENCY_SCALE (default 1: real-world latencies; 0.1 for a quick look)")
    parser.add_argument("--jobs", type=int, default=16,
                        help="meshlab launch --jobs (default 16: wider than any example lab's plan, so the "
                             "critical path is reachable)")
    parser.add_argument("--lab", action="append", help="only this lab (repeatable); default: every lab in labs/")
    args = parser.parse_args()
    meshlab = os.path.realpath(os.path.join(args.build_dir, "cli", "meshlab"))
    labs = args.lab or harness.lab_names()
    print(f"bench/launch: {args.runs} runs per lab, fake latency scale {args.scale}, --jobs {args.jobs}, "
          f"load average {os.getloadavg()[0]:.2f}; medians")
    header = (f"{'lab':<15} {'steps':>5} {'setup':>7} {'wall':>7} {'path':>7} {'wall/path':>9} {'relaunch':>9} "
              f"{'% first':>8} {'rl cpu':>7} {'checks':>6} {'prov.':>5} {'cpu':>6} {'rss MB':>7} {'+tools':>7}")
    print(header)
    verdicts = []
    for lab in labs:
        runs = []
        for i in range(args.runs):
            print(f"  {lab}: run {i + 1} of {args.runs}...", file=sys.stderr, flush=True)
            runs.append(one_run(meshlab, lab, args.scale, args.jobs))
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        ratio = statistics.median(r["wall"] / r["path"] for r in runs if r["path"] > 0)
        share = statistics.median(100 * r["relaunch"] / r["process"] for r in runs)
        worst_provisioning = max(r["provisioning"] for r in runs)
        print(f"{lab:<15} {med['steps']:>5.0f} {med['setup']:>6.2f}s {med['wall']:>6.2f}s {med['path']:>6.2f}s "
              f"{ratio:>9.2f} {med['relaunch']:>8.2f}s {share:>7.2f}% {med['relaunch_cpu']:>6.2f}s {med['checks']:>6.0f} "
              f"{worst_provisioning:>5} "
              f"{med['cpu']:>5.2f}s {med['rss_mb']:>7.1f} {med['rss_with_tools_mb']:>7.1f}")
        verdicts.append((lab, ratio <= 1.10, share < 2.0 and worst_provisioning == 0, med["rss_mb"] < 30))
    print("\ntargets: wall/path <= 1.10; relaunch < 2 % of the first launch with 0 provisioning calls; "
          "meshlab's peak RSS < 30 MB")
    print("(a relaunch is its `checks` tool calls: each costs the real tool's read time at this scale plus the "
          "fake's own start-up, a Python process; below scale 1 the share grows, see bench/README.md)")
    for lab, wall_ok, relaunch_ok, rss_ok in verdicts:
        marks = ", ".join(f"{name} {'met' if ok else 'MISSED'}"
                          for name, ok in (("wall", wall_ok), ("relaunch", relaunch_ok), ("rss", rss_ok)))
        print(f"  {lab}: {marks}")


if __name__ == "__main__":
    main()
