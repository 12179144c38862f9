package io.cachesync.hibernate;

import java.util.BitSet;

/**
 * The numeric ids the Reconciler's row walk has seen, as one bit per id between the first and the last: the
 * orphan scan then needs the database only for keys whose id the walk did not see. For ids that are not
 * {@code Long} or {@code Integer}, or spread over more than {@value #MAX_RANGE} values (a bitset of at most
 * 8 MiB), it records nothing and every key goes to the database, as before.
 *
 * <p>A row seen by the walk and deleted behind Hibernate's back before the scan reaches its key is not reported
 * as orphaned by this run (a delete through Hibernate leaves a tombstone, which is consistent); the next run
 * reports it.
 */
final class WalkedIds {

    static final long MAX_RANGE = 64L * 1024 * 1024;

    private final BitSet seen = new BitSet();
    private boolean usable;
    private long first;

    WalkedIds(Class<?> idType) {
        this.usable = idType == Long.class || idType == Integer.class;
    }

    /** Records an id of the walk; ids arrive in ascending order. */
    void add(Object id) {
        if (!usable) {
            return;
        }
        long value = ((Number) id).longValue();
        if (seen.isEmpty()) {
            first = value;
        }
        long offset = value - first;
        if (offset < 0 || offset >= MAX_RANGE) {
            usable = false;
            seen.clear();
            return;
        }
        seen.set((int) offset);
    }

    /** True when the walk saw a row with this id. */
    boolean contains(Object id) {
        if (!usable || seen.isEmpty()) {
            return false;
        }
        long offset = ((Number) id).longValue() - first;
        return offset >= 0 && offset < MAX_RANGE && seen.get((int) offset);
    }
}
