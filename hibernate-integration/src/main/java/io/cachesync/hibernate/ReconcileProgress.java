package io.cachesync.hibernate;

import org.slf4j.Logger;

import java.time.Duration;

/**
 * Logs how far a long reconciliation has got, at INFO and at most once per interval, so that a run over
 * millions of rows shows it is alive without flooding the log.
 */
final class ReconcileProgress {

    private final Logger log;
    private final String entityName;
    private final long total;
    private final long intervalNanos;
    private final long start = System.nanoTime();
    private long lastLogged = start;

    ReconcileProgress(Logger log, String entityName, long total, Duration interval) {
        this.log = log;
        this.entityName = entityName;
        this.total = total;
        this.intervalNanos = interval.toNanos();
    }

    void rows(long done) {
        long now = System.nanoTime();
        if (now - lastLogged >= intervalNanos && log.isInfoEnabled()) {
            lastLogged = now;
            log.info("cachesync reconcile {}: {} / {} rows ({}%), {} rows/s", entityName, done, total,
                    total == 0 ? 100 : done * 100 / total, perSecond(done, now));
        }
    }

    void keys(long scanned) {
        long now = System.nanoTime();
        if (now - lastLogged >= intervalNanos && log.isInfoEnabled()) {
            lastLogged = now;
            log.info("cachesync reconcile {}: orphan scan, {} keys examined", entityName, scanned);
        }
    }

    long perSecond(long done, long now) {
        long nanos = Math.max(1, now - start);
        return done * 1_000_000_000L / nanos;
    }
}
