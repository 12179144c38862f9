package io.cachesync.core;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Which keys this node reads most: a sampled, bounded, decaying frequency table.
 *
 * <ul>
 *   <li>Sampled: the read path asks {@link #sampled()} (one {@link ThreadLocalRandom} draw, no allocation, no
 *   shared write) and records one read in {@code sampleOneIn}.</li>
 *   <li>Bounded: at most {@code capacity} keys. A sampled key that finds the table full is dropped, and an early
 *   {@link #decay()} is requested (run by the caller's scheduler, never on the read path).</li>
 *   <li>Decaying: {@link #decay()} halves every count and forgets the keys that reach zero, so a key that stops
 *   being read leaves the table after a few periods.</li>
 * </ul>
 * A sampled read of a key already tracked allocates nothing (the table is keyed by entity, then by the id object the
 * caller holds); only a new key allocates its counter. Counts are approximate under concurrency (a decay may lose
 * an increment that races it): they rank keys, nothing more. Thread-safe.
 */
final class HotKeys {

    /** One tracked key: the row it names, its decayed count, and the part of it already published. */
    static final class Counter {
        final String key;
        final SnapshotSchema schema;
        final Object id;
        final AtomicInteger count = new AtomicInteger();
        /** Touched by the publisher only. */
        int published;

        Counter(String key, SnapshotSchema schema, Object id) {
            this.key = key;
            this.schema = schema;
            this.id = id;
        }
    }

    private final ConcurrentHashMap<String, ConcurrentHashMap<Object, Counter>> byEntity = new ConcurrentHashMap<>();
    private final AtomicInteger size = new AtomicInteger();
    private final RedisKeys keys;
    private final int sampleOneIn;
    private final int capacity;
    private final Runnable onFull;
    final LongAdder samples = new LongAdder();

    /**
     * @param sampleOneIn one read in this many is recorded (1: every read)
     * @param capacity    the most keys tracked at once
     * @param onFull      called (from a reading thread) when a new key finds the table full: schedule a decay
     */
    HotKeys(RedisKeys keys, int sampleOneIn, int capacity, Runnable onFull) {
        this.keys = keys;
        this.sampleOneIn = sampleOneIn;
        this.capacity = capacity;
        this.onFull = onFull;
    }

    /** The read path's check: true for about one call in {@code sampleOneIn}. Allocation-free. */
    boolean sampled() {
        return sampleOneIn == 1 || ThreadLocalRandom.current().nextInt(sampleOneIn) == 0;
    }

    /**
     * Counts one sampled read of a row.
     *
     * @throws IllegalArgumentException if the id is not of the schema's id type
     */
    void record(SnapshotSchema schema, Object id) {
        samples.increment();
        ConcurrentHashMap<Object, Counter> table = byEntity.get(schema.entityName());
        Counter counter = table == null ? null : table.get(id);
        if (counter == null) {
            counter = add(schema, id);
            if (counter == null) {
                return;
            }
        }
        counter.count.incrementAndGet();
    }

    private Counter add(SnapshotSchema schema, Object id) {
        if (size.get() >= capacity) {
            onFull.run();
            return null;
        }
        String key = keys.key(schema.entityName(), schema.idText(id));
        ConcurrentHashMap<Object, Counter> table =
                byEntity.computeIfAbsent(schema.entityName(), name -> new ConcurrentHashMap<>());
        return table.computeIfAbsent(id, k -> {
            size.incrementAndGet();
            return new Counter(key, schema, id);
        });
    }

    /** Halves every count; keys that reach zero are forgotten. */
    void decay() {
        for (ConcurrentHashMap<Object, Counter> table : byEntity.values()) {
            for (Map.Entry<Object, Counter> entry : table.entrySet()) {
                Counter counter = entry.getValue();
                int left = counter.count.updateAndGet(c -> c >> 1);
                counter.published >>= 1;
                if (left == 0 && table.remove(entry.getKey(), counter)) {
                    size.decrementAndGet();
                }
            }
        }
    }

    /** The {@code k} keys with the highest counts, highest first. */
    List<Counter> top(int k) {
        List<Counter> all = new ArrayList<>();
        byEntity.values().forEach(table -> all.addAll(table.values()));
        all.removeIf(c -> c.count.get() == 0);
        all.sort(Comparator.comparingInt((Counter c) -> c.count.get()).reversed());
        return all.size() > k ? new ArrayList<>(all.subList(0, k)) : all;
    }

    /** Keys tracked now. */
    int size() {
        return size.get();
    }
}
