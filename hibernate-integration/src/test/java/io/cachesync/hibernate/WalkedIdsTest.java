package io.cachesync.hibernate;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WalkedIdsTest {

    @Test
    void remembersExactlyTheIdsOfTheWalk() {
        WalkedIds ids = new WalkedIds(Long.class);
        for (long id = 1_000_000_000_000L; id < 1_000_000_000_100L; id += 3) {
            ids.add(id);
        }
        assertTrue(ids.contains(1_000_000_000_000L));
        assertTrue(ids.contains(1_000_000_000_099L));
        assertFalse(ids.contains(1_000_000_000_001L));
        assertFalse(ids.contains(999_999_999_999L));
        assertFalse(ids.contains(1_000_000_000_102L));
    }

    @Test
    void aRangeTooWideOrANonNumericIdRemembersNothingSoEveryKeyIsLookedUp() {
        WalkedIds wide = new WalkedIds(Long.class);
        wide.add(1L);
        wide.add(1L + WalkedIds.MAX_RANGE);
        assertFalse(wide.contains(1L));
        WalkedIds strings = new WalkedIds(String.class);
        strings.add("a");
        assertFalse(strings.contains("a"));
        WalkedIds ints = new WalkedIds(Integer.class);
        ints.add(7);
        assertTrue(ints.contains(7));
    }
}
