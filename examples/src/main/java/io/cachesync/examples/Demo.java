package io.cachesync.examples;

import io.cachesync.core.CacheStatistics;
import io.cachesync.core.Snapshot;
import io.cachesync.core.WarmingStatistics;
import io.cachesync.examples.model.Account;
import io.cachesync.examples.model.Profile;
import io.cachesync.hibernate.CacheSync;
import org.hibernate.Session;
import org.hibernate.SessionFactory;
import org.hibernate.Transaction;
import org.hibernate.boot.MetadataSources;
import org.hibernate.boot.registry.StandardServiceRegistry;
import org.hibernate.boot.registry.StandardServiceRegistryBuilder;

import java.io.PrintStream;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The cachesync story in one run: committed writes land in Redis with their versions, a rollback lands nothing,
 * reads are served by the local tier, Redis and the database in turn, a second node sees a change at once, and
 * injected drift is found and repaired by the Reconciler. Run it with {@code java -jar examples/target/cachesync-demo.jar}.
 */
public final class Demo {

    static final int ROWS = 10_000;

    private final PrintStream out;

    Demo(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("reconcile")) {
            System.exit(ReconcileDemo.run(java.util.Arrays.copyOfRange(args, 1, args.length), System.out));
        }
        new Demo(System.out).run();
    }

    /** Builds one application node from hibernate.properties, pointed at the demo's Redis. */
    static SessionFactory node(String redisUri, boolean createSchema) {
        StandardServiceRegistryBuilder builder = new StandardServiceRegistryBuilder()
                .applySetting("cachesync.redis.uri", redisUri);
        if (!createSchema) {
            builder.applySetting("hibernate.hbm2ddl.auto", "none");
        }
        StandardServiceRegistry registry = builder.build();
        return new MetadataSources(registry).addAnnotatedClass(Account.class).addAnnotatedClass(Profile.class)
                .buildMetadata().buildSessionFactory();
    }

    void run() throws Exception {
        out.println("cachesync demo");
        try (DemoRedis redis = DemoRedis.findOrStart()) {
            out.println("  Redis:    " + redis.description());
            out.println("  Database: H2 in memory, configured in examples/src/main/resources/hibernate.properties");
            try (SessionFactory nodeA = node(redis.uri(), true); SessionFactory nodeB = node(redis.uri(), false)) {
                CacheSync a = CacheSync.of(nodeA);
                CacheSync b = CacheSync.of(nodeB);
                waitUntilServing(a, b);
                writesLand(nodeA, a);
                rollbackLandsNothing(nodeA, a);
                readsWalkTheTiers(nodeA, a);
                secondNodeSeesChanges(nodeA, a, b);
                DriftStory.tell(nodeA, a, out);
                summary(a);
            }
        }
        out.println("done: Redis stopped if the demo started it.");
    }

    private void writesLand(SessionFactory sf, CacheSync sync) {
        step(1, "Committed writes land in Redis, each with its version");
        sf.inTransaction(s -> s.persist(new Account(1, "ann", new BigDecimal("100.00"))));
        show(sync, "insert Account#1 (ann, 100.00)", Account.class, 1L);
        sf.inTransaction(s -> s.find(Account.class, 1L).setBalance(new BigDecimal("120.00")));
        show(sync, "update Account#1 balance 120.00", Account.class, 1L);
        sf.inTransaction(s -> s.persist(new Profile(1, "Ann A.", s.getReference(Account.class, 1L))));
        show(sync, "insert Profile#1 -> Account#1", Profile.class, 1L);
        out.println("    the value an operator sees with redis-cli GET " + sync.key(Account.class, 1L) + ":");
        out.println("    " + rawValue(sync, Account.class, 1L));
    }

    private void rollbackLandsNothing(SessionFactory sf, CacheSync sync) {
        step(2, "A rolled-back transaction lands nothing");
        try (Session session = sf.openSession()) {
            Transaction tx = session.beginTransaction();
            session.find(Account.class, 1L).setBalance(new BigDecimal("999.00"));
            session.persist(new Account(2, "never committed", BigDecimal.ONE));
            session.flush();
            tx.rollback();
        }
        Snapshot s = sync.snapshot(Account.class, 1L).orElseThrow();
        out.printf("    update Account#1 to 999.00 and insert Account#2, flushed, then rolled back%n");
        out.printf("    Redis: Account#1 still v%d balance %s; Account#2 %s%n", s.version(), s.state().get("balance"),
                sync.snapshot(Account.class, 2L).isPresent() ? "PRESENT (wrong!)" : "absent");
    }

    private void readsWalkTheTiers(SessionFactory sf, CacheSync sync) {
        step(3, "Reads: the local tier, then Redis, then the database");
        Progress progress = new Progress(out, "loading accounts", ROWS);
        int batch = 500;
        for (long start = 2; start < ROWS + 2; start += batch) {
            long from = start;
            sf.inTransaction(s -> {
                for (long id = from; id < Math.min(from + batch, ROWS + 2); id++) {
                    s.persist(new Account(id, "owner" + id, BigDecimal.valueOf(id, 2)));
                }
            });
            progress.advance((int) Math.min(batch, ROWS + 2 - from));
        }
        progress.done();
        waitForPendingPushes(sync);
        sync.clearLocalTier();
        CacheStatistics before = sync.statistics();
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int i = 0; i < 2_000; i++) {
            long id = 2 + (long) Math.abs(random.nextGaussian() * 100) % ROWS; // a few hot accounts
            sync.find(Account.class, id);
        }
        CacheStatistics after = sync.statistics();
        out.printf("    2,000 reads of hot accounts: %d local-tier hits, %d Redis hits, %d database loads%n",
                after.localHits() - before.localHits(), after.redisHits() - before.redisHits(),
                after.databaseLoads() - before.databaseLoads());
        new RedisKeys(sync).delete(Account.class, 5000L);
        sync.find(Account.class, 5000L);
        CacheStatistics filled = sync.statistics();
        out.printf("    a key missing in Redis: read from the database (%d load) and filled back (%d fill)%n",
                filled.databaseLoads() - after.databaseLoads(), filled.fillsWritten() - after.fillsWritten());
    }

    private void secondNodeSeesChanges(SessionFactory nodeA, CacheSync a, CacheSync b) {
        step(4, "A second node sees a change at once");
        out.printf("    node B reads Account#1: v%d (then serves it from its local tier)%n",
                b.find(Account.class, 1L).orElseThrow().getVersion());
        b.find(Account.class, 1L);
        nodeA.inTransaction(s -> s.find(Account.class, 1L).setBalance(new BigDecimal("130.00")));
        long committed = System.nanoTime();
        Account seen;
        while ((seen = b.find(Account.class, 1L).orElseThrow()).getVersion() < 2) {
            Thread.onSpinWait();
        }
        out.printf("    node A commits balance 130.00 (v%d); node B reads v%d %s after the commit%n",
                a.find(Account.class, 1L).orElseThrow().getVersion(), seen.getVersion(),
                Duration.ofNanos(System.nanoTime() - committed).toNanos() / 1_000 + " us");
    }

    private void summary(CacheSync sync) {
        CacheStatistics s = sync.statistics();
        step(9, "Node A's statistics (CacheSync.statistics(): the counts Micrometer publishes)");
        out.printf("    reads: %d local hits, %d Redis hits, %d database loads (hit ratio %.2f%%, local tier %.2f%%)%n",
                s.localHits(), s.redisHits(), s.databaseLoads(), 100 * s.cacheHitRatio(), 100 * s.localHitRatio());
        out.printf("    fills of Redis after a database load: %d written, %d refused as stale; %d corrupt values found%n",
                s.fillsWritten(), s.fillsRefused(), s.corrupt());
        out.printf("    pushes: %d written, %d refused as stale, %d failed; %d invalidations sent, %d received; "
                + "%d pending repairs%n", s.pushesWritten(), s.pushesRefused(), s.pushesFailed(),
                s.invalidationsSent(), s.invalidationsReceived(), s.pendingRepairs());
        out.printf("    repairs: %d queued keys repaired, %d overflows; circuit breaker %s (opened %d times); local tier "
                + "%d entries, %d clears after a lost channel%n", s.repairsCompleted(), s.repairOverflows(),
                s.circuitOpen() ? "open" : "closed", s.circuitOpenings(), s.localSize(), s.localClears());
        WarmingStatistics w = s.warming();
        out.println(w.enabled()
                ? String.format("    warming: %d warm-ups, %d hot keys warmed (%d from Redis, %d from the database), "
                + "%d refused; %d reads sampled", w.runs(), w.keysWarmed(), w.keysLoaded(), w.keysFilled(),
                w.keysRefused(), w.samples())
                : "    warming: off (cachesync.warm.enabled=false)");
    }

    private void show(CacheSync sync, String what, Class<?> type, Object id) {
        Snapshot s = sync.snapshot(type, id).orElseThrow();
        out.printf("    %-36s -> Redis %s v%d %s%n", what, sync.key(type, id), s.version(), s.state());
    }

    private static String rawValue(CacheSync sync, Class<?> type, Object id) {
        return new RedisKeys(sync).get(type, id);
    }

    void step(int n, String title) {
        out.println();
        out.println(n + ". " + title);
    }

    /** On a loaded machine a push can time out; it is retried from the repair queue within moments. */
    private static void waitForPendingPushes(CacheSync sync) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (sync.pendingRepairs() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static void waitUntilServing(CacheSync... nodes) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        for (CacheSync node : nodes) {
            while (!node.localTierServing() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
        }
    }
}
