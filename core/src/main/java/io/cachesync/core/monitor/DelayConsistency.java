package io.cachesync.core.monitor;

import java.time.Duration;

/**
 * How many sampled keys were consistent at one delay after their commit, for one model or for all.
 *
 * <p>A key is consistent when Redis holds what the database holds at the time of the check: the row's version
 * with the same state (possibly newer than the version that was sampled, if the row changed since), or a
 * tombstone or nothing for a row that no longer exists. A key whose Redis version is at or above the sampled one
 * but behind a later commit of the row that is younger than the delay also counts as consistent: that later write
 * is not due yet (within the delay, every write old enough must be in Redis). Every other class counts against it: {@code stale}
 * (Redis behind the database), {@code missing} (no key for a live row), {@code corrupt} (bytes that do not
 * decode), {@code orphaned} (a snapshot for a row that is gone) and {@code cacheAhead} (Redis ahead of the
 * database). Immutable.
 *
 * @param delay    the delay after the commit at which the keys were checked
 * @param checked  sampled keys checked at this delay
 * @param consistent those found consistent
 */
public record DelayConsistency(Duration delay, long checked, long consistent, long stale, long missing,
                               long corrupt, long orphaned, long cacheAhead) {

    /** Checked keys that were not consistent. */
    public long inconsistent() {
        return checked - consistent;
    }

    /** Consistent share of the checked keys, 0 to 1; 1 when nothing was checked yet. */
    public double ratio() {
        return checked == 0 ? 1.0 : (double) consistent / checked;
    }

    /**
     * The ratio in nines: {@code -log10(1 - ratio)}, so 0.999 is 3. With {@code n} checks the resolution ends at
     * one inconsistency in {@code n}: no inconsistency at all reads as {@code log10(n)} nines, the most that
     * {@code n} checks can show (and 0 before the first check).
     */
    public double nines() {
        if (checked == 0) {
            return 0;
        }
        return Math.max(0.0, -Math.log10((double) Math.max(1, inconsistent()) / checked));
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "%s: %d/%d consistent (%.5f, %.1f nines)", format(delay),
                consistent, checked, ratio(), nines());
    }

    static String format(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }
}
