package io.cachesync.hibernate;

import io.cachesync.core.Snapshot;
import io.cachesync.core.SnapshotWrite;
import io.cachesync.core.monitor.ConsistencyMonitor;
import io.cachesync.core.monitor.MonitorSettings;
import io.cachesync.testsupport.RedisExtension;
import io.cachesync.testsupport.TestRedis;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Measures (prints, asserts no timing) what the monitor costs the committing thread: single-row update commits on
 * three nodes with sample rates 0, 0.01 and 1.0, interleaved round by round so that the machine's other load
 * falls on all three alike; and the sampling call alone, per committed key. A timing is a benchmark, not a test
 * assertion (DESIGN.md): only the sample counts are asserted. {@code -Dcachesync.monitor.overhead.rounds=...}
 * (default 6 rounds of 300 commits per node).
 */
@ExtendWith(RedisExtension.class)
class MonitorOverheadOnTheCommitPathTest {

    private static final String[] RATES = {"0", "0.01", "1.0"};
    private static final int ROWS = 50;

    @Test
    void commitsWithSampleRate0And001And1(TestRedis redis) {
        int rounds = Integer.getInteger("cachesync.monitor.overhead.rounds", 6);
        int perRound = Integer.getInteger("cachesync.monitor.overhead.commits", 300);
        List<SessionFactory> nodes = new ArrayList<>();
        try {
            for (int n = 0; n < RATES.length; n++) {
                String rate = RATES[n];
                String prefix = "overhead" + n; // three databases: their keys must not meet in Redis
                nodes.add(TestNodes.node(TestNodes.newDatabase(), redis.uri(), true, s -> {
                    s.put("cachesync.key-prefix", prefix);
                    s.put(MonitorSettings.SAMPLE_RATE, rate);
                    s.put(MonitorSettings.DELAYS, "1s,10s");
                    s.put(MonitorSettings.REPAIR, "true");
                }));
            }
            for (SessionFactory sf : nodes) {
                sf.inTransaction(s -> {
                    for (long id = 0; id < ROWS; id++) {
                        s.persist(new Account(id, "owner" + id, BigDecimal.ZERO));
                    }
                });
            }
            long[][] micros = new long[RATES.length][rounds];
            long counter = 0;
            for (int round = -1; round < rounds; round++) { // round -1 warms up
                for (int n = 0; n < nodes.size(); n++) {
                    SessionFactory sf = nodes.get(n);
                    long start = System.nanoTime();
                    for (int i = 0; i < perRound; i++) {
                        long id = (counter++) % ROWS;
                        sf.inTransaction(s -> s.find(Account.class, id).setBalance(
                                BigDecimal.valueOf(System.nanoTime() % 1_000_000, 2)));
                    }
                    if (round >= 0) {
                        micros[n][round] = (System.nanoTime() - start) / 1_000 / perRound;
                    }
                }
            }
            for (int n = 0; n < RATES.length; n++) {
                long[] sorted = micros[n].clone();
                Arrays.sort(sorted);
                System.out.printf(Locale.ROOT, "[monitor overhead] sample rate %-4s: median %d us per commit over %d "
                                + "rounds of %d commits (rounds: %s); %s%n", RATES[n], sorted[sorted.length / 2],
                        rounds, perRound, Arrays.toString(micros[n]), CacheSync.of(nodes.get(n)).monitor());
            }
            long total = (long) (rounds + 1) * perRound + ROWS;
            assertEquals(0, CacheSync.of(nodes.get(0)).monitor().sampled());
            for (SessionFactory sf : nodes) {
                assertEquals(0, CacheSync.of(sf).monitor().overall().get(0).inconsistent(), "no false alarm");
            }
            assertEquals(total, CacheSync.of(nodes.get(2)).monitor().sampled() , "rate 1: every key");
            long some = CacheSync.of(nodes.get(1)).monitor().sampled();
            assertTrue(some > 0 && some < total / 10, "rate 0.01: about 1 %: " + some);

            // the sampling call alone, per committed key, on the monitors of the three nodes
            for (int n = 0; n < RATES.length; n++) {
                ConsistencyMonitor monitor = CacheSync.of(nodes.get(n)).runtime().monitor();
                Snapshot snapshot = Snapshot.of(CacheSync.of(nodes.get(n)).runtime().entity(Account.class).schema(),
                        1L, 1, Instant.now(), Map.of("owner", "x", "balance", BigDecimal.ONE, "status", "OPEN"));
                List<SnapshotWrite> writes = List.of(SnapshotWrite.newer(snapshot));
                int calls = n == 2 ? 20_000 : 5_000_000; // at rate 1 the bounded queue fills and drops: kept short
                long best = Long.MAX_VALUE;
                for (int repeat = 0; repeat < 6; repeat++) { // the first warms up; the best of the rest is kept
                    long start = System.nanoTime();
                    for (int i = 0; i < calls; i++) {
                        monitor.sample(writes);
                    }
                    long took = System.nanoTime() - start;
                    best = repeat == 0 ? best : Math.min(best, took);
                }
                System.out.printf(Locale.ROOT, "[monitor overhead] sample rate %-4s: sample() %.1f ns per committed "
                        + "key (best of 5 x %d calls)%n", RATES[n], best / (double) calls, calls);
            }
        } finally {
            nodes.forEach(SessionFactory::close);
        }
    }
}
