#!/usr/bin/env python3
"""Times commands for bench/compare.sh: the best wall time of several runs and the peak resident
memory, each command run in its own process (os.wait4 gives that child's own rusage).

usage: measure.py RUNS [--first] -- COMMAND...      prints: seconds max_rss_kib exit_codes
With --first, the time is until the first line of output arrives (time to first finding).
A command whose output contains `seconds=S` reports its own timing (the parse-only baselines time
the parse alone, the file having been read into memory first); that figure is used instead.
"""
import os
import re
import subprocess
import sys
import time


def run_once(command, first_line):
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    if first_line:
        child.stdout.readline()
        first = time.perf_counter() - start
        child.stdout.read()
        _, status, usage = os.wait4(child.pid, 0)
        return first, usage.ru_maxrss, os.waitstatus_to_exitcode(status)
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    reported = re.search(rb"seconds=([0-9.]+)", output)
    code = os.waitstatus_to_exitcode(status)
    return (float(reported.group(1)) if reported else wall), usage.ru_maxrss, code


def main():
    runs = int(sys.argv[1])
    command = sys.argv[sys.argv.index("--") + 1:]
    first_line = "--first" in sys.argv[: sys.argv.index("--")]
    results = [run_once(command, first_line) for _ in range(runs)]
    best = min(seconds for seconds, _, _ in results)
    peak = max(rss for _, rss, _ in results)
    codes = sorted({code for _, _, code in results})
    print(f"{best:.4f} {peak} {','.join(map(str, codes))}")


if __name__ == "__main__":
    main()
