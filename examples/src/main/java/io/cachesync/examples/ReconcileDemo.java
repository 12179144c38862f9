package io.cachesync.examples;

import io.cachesync.examples.model.Account;
import io.cachesync.hibernate.CacheSync;
import io.cachesync.hibernate.ReconcileCommand;
import org.hibernate.SessionFactory;

import java.io.PrintStream;
import java.math.BigDecimal;

/**
 * The {@code reconcile} command wired to the demo's model: starts (or finds) Redis, loads the demo's accounts,
 * injects drift, then runs {@code reconcile} with the given options, e.g. {@code --check-only --verbose}.
 */
final class ReconcileDemo {

    private ReconcileDemo() {
    }

    static int run(String[] args, PrintStream out) throws Exception {
        try (DemoRedis redis = DemoRedis.findOrStart(); SessionFactory sf = Demo.node(redis.uri(), true)) {
            out.println("reconcile against the demo model; Redis: " + redis.description());
            CacheSync sync = CacheSync.of(sf);
            for (long start = 1; start <= Demo.ROWS; start += 1_000) {
                long from = start;
                sf.inTransaction(s -> {
                    for (long id = from; id < from + 1_000 && id <= Demo.ROWS; id++) {
                        s.persist(new Account(id, "owner" + id, BigDecimal.valueOf(id, 2)));
                    }
                });
            }
            DriftInjector.inject(sf, sync);
            out.println("loaded " + Demo.ROWS + " accounts and injected drift (an SQL update, a lost key, an orphan, "
                    + "corrupt bytes)");
            java.io.PrintWriter writer = new java.io.PrintWriter(out, true);
            return ReconcileCommand.execute(sf, writer, new java.io.PrintWriter(System.err, true), args);
        }
    }
}
