package io.cachesync.core;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A small schema and snapshots of it, for core tests that need no ORM. */
final class TestSchemas {

    static final SnapshotSchema ACCOUNT = new SnapshotSchema("Account", Long.class,
            List.of("owner", "balance", "opened", "active", "scores"),
            List.of(String.class, BigDecimal.class, LocalDate.class, Boolean.class, byte[].class));

    private TestSchemas() {
    }

    static Snapshot account(long id, long version, String owner) {
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("owner", owner);
        state.put("balance", new BigDecimal("10.50"));
        state.put("opened", LocalDate.of(2026, 1, 2));
        state.put("active", true);
        state.put("scores", new byte[]{1, 2, 3});
        return Snapshot.of(ACCOUNT, id, version, Instant.parse("2026-11-26T10:15:30.123456Z"), state);
    }
}
