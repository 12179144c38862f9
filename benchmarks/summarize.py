#!/usr/bin/env python3
"""Turns JMH JSON results of FindBenchmark/CommitBenchmark into the README's tables.

usage: python3 benchmarks/summarize.py benchmarks/results/run-1-thread.json [more.json or .json.gz ...]
Prints, per file: every subject's p50, p99 and mean (sample mode) and average time, then each target of
issue 3 with its ratio (p50 and mean) and whether it is met. A file holding only some subjects prints the
comparisons it can. Given several files, it ends with one table per thread count: each target's lowest and highest
ratio over the runs, and in how many runs it was met (this machine's run-to-run noise is as large as some margins).
"""
import gzip
import json
import sys

# (case, subject, floor or peer, how the ratio must compare, limit)
TARGETS = [
    ("find, local-tier hit", "find:CACHESYNC_LOCAL_HIT", "find:CAFFEINE_GET_IF_PRESENT", "<=", 3.0),
    ("find, Redis hit", "find:CACHESYNC_REDIS_HIT", "find:LETTUCE_GET", "<=", 1.3),
    ("find, local-tier hit vs JCache 2LC", "find:HIBERNATE_JCACHE", "find:CACHESYNC_LOCAL_HIT", ">=", 10.0),
    ("find, Redis hit vs Redisson 2LC", "find:HIBERNATE_REDISSON", "find:CACHESYNC_REDIS_HIT", ">", 1.0),
    ("commit, sync push", "commit:CACHESYNC_SYNC", "commit:HIBERNATE_PLUS_LETTUCE_ROUND_TRIP", "<=", 1.2),
    ("commit, async push", "commit:CACHESYNC_ASYNC", "commit:HIBERNATE", "<=", 1.10),
    ("commit vs Redisson 2LC", "commit:HIBERNATE_REDISSON", "commit:CACHESYNC_SYNC", ">=", 5.0),
]


def load(path):
    rows = {}
    opener = gzip.open if path.endswith(".gz") else open
    for entry in json.load(opener(path, "rt")):
        name = entry["benchmark"].rsplit(".", 1)[1] + ":" + entry["params"]["subject"]
        row = rows.setdefault(name, {"threads": entry["threads"]})
        metric = entry["primaryMetric"]
        if entry["mode"] == "sample":
            row["p50"] = metric["scorePercentiles"]["50.0"]
            row["p99"] = metric["scorePercentiles"]["99.0"]
            row["mean"] = metric["score"]
        elif entry["mode"] == "avgt":
            row["avgt"] = metric["score"]
            row["avgt_error"] = metric["scoreError"]
            alloc = entry.get("secondaryMetrics", {}).get("gc.alloc.rate.norm")
            if alloc:
                row["alloc"] = alloc["score"]
    return rows


def ratios(rows, subject, reference):
    """The (p50, mean) ratio of subject to reference in one run, None where a subject is missing."""
    a, b = rows.get(subject), rows.get(reference)
    if not a or not b:
        return None, None
    r50 = a["p50"] / b["p50"] if "p50" in a and "p50" in b else None
    mean_a = a.get("avgt", a.get("mean"))
    mean_b = b.get("avgt", b.get("mean"))
    return r50, (mean_a / mean_b if mean_a and mean_b else None)


def fmt(value):
    if value is None:
        return "-"
    if value >= 100:
        return "%.0f" % value
    if value >= 10:
        return "%.1f" % value
    if value >= 1:
        return "%.2f" % value
    return "%.3f" % value


def met(ratio, op, limit):
    if ratio is None:
        return "-"
    ok = {"<=": ratio <= limit, ">=": ratio >= limit, ">": ratio > limit}[op]
    return "met" if ok else "MISSED"


def main(paths):
    for path in paths:
        rows = load(path)
        threads = sorted({r["threads"] for r in rows.values()})
        print("\n### %s (threads: %s; times in us/op)\n" % (path, ", ".join(map(str, threads))))
        print("| subject | p50 | p99 | mean (sample) | mean (avgt) | alloc B/op |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for name, r in rows.items():
            print("| %s | %s | %s | %s | %s | %s |" % (name, fmt(r.get("p50")), fmt(r.get("p99")),
                                                     fmt(r.get("mean")), fmt(r.get("avgt")),
                                                     fmt(r.get("alloc"))))
        print("\n| case | subject / reference | ratio p50 | ratio mean | target | p50 | mean |")
        print("| --- | --- | ---: | ---: | --- | --- | --- |")
        for case, subject, reference, op, limit in TARGETS:
            if not rows.get(subject) or not rows.get(reference):
                continue
            r50, rmean = ratios(rows, subject, reference)
            print("| %s | %s / %s | %s | %s | %s %s | %s | %s |" % (case, subject, reference, fmt(r50), fmt(rmean),
                                                                    op, limit, met(r50, op, limit),
                                                                    met(rmean, op, limit)))
        plain, get = rows.get("commit:HIBERNATE"), rows.get("find:LETTUCE_GET")
        sync = rows.get("commit:CACHESYNC_SYNC")
        if plain and get and sync and "p50" in plain:
            total = plain["p50"] + get["p50"]
            print("\nsum of p50s, plain Hibernate commit %s + raw Lettuce GET %s = %s us; cachesync sync commit p50 "
                  "%s us: ratio %s (target <= 1.2: %s)" % (fmt(plain["p50"]), fmt(get["p50"]), fmt(total),
                                                          fmt(sync["p50"]), fmt(sync["p50"] / total),
                                                          met(sync["p50"] / total, "<=", 1.2)))

    if len(paths) > 1:
        across(paths)


def span(values):
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    return fmt(min(values)) if len(values) == 1 else "%s-%s" % (fmt(min(values)), fmt(max(values)))


def across(paths):
    runs = {}
    for path in paths:
        rows = load(path)
        threads = ", ".join(map(str, sorted({r["threads"] for r in rows.values()})))
        runs.setdefault(threads, []).append(rows)
    for threads, all_rows in runs.items():
        print("\n### %d runs, threads: %s (times in us/op, lowest-highest over the runs)\n" % (len(all_rows), threads))
        print("| subject | p50 | mean (sample) | mean (avgt) | alloc B/op |")
        print("| --- | ---: | ---: | ---: | ---: |")
        names = []
        for rows in all_rows:
            names += [n for n in rows if n not in names]
        for name in names:
            print("| %s | %s | %s | %s | %s |" % (name, *(span([rows.get(name, {}).get(k) for rows in all_rows])
                                                       for k in ("p50", "mean", "avgt", "alloc"))))
        print()
        print("| case | target | ratio p50, lowest-highest | met (p50) | ratio mean, lowest-highest | met (mean) |")
        print("| --- | --- | ---: | ---: | ---: | ---: |")
        for case, subject, reference, op, limit in TARGETS:
            pairs = [ratios(rows, subject, reference) for rows in all_rows]
            p50s = [p for p, _ in pairs if p is not None]
            means = [m for _, m in pairs if m is not None]
            if not p50s and not means:
                continue
            print("| %s | %s %s | %s | %d of %d | %s | %d of %d |" % (
                case, op, limit, span(p50s), sum(met(p, op, limit) == "met" for p in p50s), len(p50s),
                span(means), sum(met(m, op, limit) == "met" for m in means), len(means)))


if __name__ == "__main__":
    main(sys.argv[1:])
