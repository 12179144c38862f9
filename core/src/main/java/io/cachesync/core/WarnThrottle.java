package io.cachesync.core;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Lets one WARN through per interval and counts the ones it holds back, so that an event that can hit every key at
 * once (a failover that lost writes, a flood of malformed messages) is reported without flooding the log.
 */
final class WarnThrottle {

    private final long intervalNanos;
    private final AtomicLong nextAt = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong held = new AtomicLong();

    WarnThrottle(long interval, TimeUnit unit) {
        this.intervalNanos = unit.toNanos(interval);
    }

    /**
     * Returns -1 if this occurrence is held back; else the number held back since the last one let through (the
     * caller logs it).
     */
    long letThrough() {
        long now = System.nanoTime();
        long next = nextAt.get();
        if ((next == Long.MIN_VALUE || now - next >= 0) && nextAt.compareAndSet(next, now + intervalNanos)) {
            return held.getAndSet(0);
        }
        held.incrementAndGet();
        return -1;
    }
}
