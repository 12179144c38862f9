package io.cachesync.core.monitor;

import io.cachesync.core.drift.Drift;

import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;

/** The checks of one model (or all) at one delay, counted per drift class. Written by the monitor's thread. */
final class Tally {

    final LongAdder checked = new LongAdder();
    final LongAdder consistent = new LongAdder();
    final LongAdder stale = new LongAdder();
    final LongAdder missing = new LongAdder();
    final LongAdder corrupt = new LongAdder();
    final LongAdder orphaned = new LongAdder();
    final LongAdder cacheAhead = new LongAdder();

    void count(Drift drift) {
        checked.increment();
        adder(drift.label()).increment();
    }

    /** The counter of one drift class, by its label (consistent, stale, missing, corrupt, orphaned, cache-ahead). */
    LongAdder adder(String label) {
        return switch (label) {
            case "consistent" -> consistent;
            case "stale" -> stale;
            case "missing" -> missing;
            case "corrupt" -> corrupt;
            case "orphaned" -> orphaned;
            case "cache-ahead" -> cacheAhead;
            default -> throw new IllegalArgumentException(label);
        };
    }

    DelayConsistency snapshot(Duration delay) {
        // consistent is read before checked, so that a check counted in between never makes consistent > checked
        long c = consistent.sum();
        long s = stale.sum();
        long m = missing.sum();
        long x = corrupt.sum();
        long o = orphaned.sum();
        long a = cacheAhead.sum();
        return new DelayConsistency(delay, Math.max(checked.sum(), c + s + m + x + o + a), c, s, m, x, o, a);
    }
}
