package io.cachesync.examples;

import io.cachesync.examples.model.Account;
import io.cachesync.hibernate.CacheSync;
import io.cachesync.hibernate.Reconciler;
import io.cachesync.hibernate.ReconciliationReport;
import org.hibernate.SessionFactory;

import java.io.PrintStream;

/**
 * Drift that cachesync cannot see happen (SQL behind Hibernate's back, a lost key, a stray snapshot), found by a
 * check-only Reconciler run, repaired by a second run, and confirmed by a last check.
 */
final class DriftStory {

    private DriftStory() {
    }

    static void tell(SessionFactory sf, CacheSync sync, PrintStream out) {
        out.println();
        out.println("5. Drift, injected behind cachesync's back");
        DriftInjector.inject(sf, sync);
        out.println("    SQL: UPDATE account SET balance = 0, version = version + 1 WHERE id = 2  (no Hibernate, no push)");
        out.println("    Redis: DEL " + sync.key(Account.class, 3L) + "                            (a lost key)");
        out.println("    Redis: SET " + sync.key(Account.class, 999_999L) + " <snapshot of a row that never existed>");
        out.println("    Redis: SET " + sync.key(Account.class, 4L) + " <truncated bytes>");

        out.println();
        out.println("6. The Reconciler, check-only: reports the drift, changes nothing");
        ReconciliationReport check = Reconciler.of(sf).model(Account.class).batchSize(1_000).checkOnly(true).run();
        print(out, check);

        out.println();
        out.println("7. The Reconciler repairs it, through the same versioned write as every commit");
        ReconciliationReport repair = Reconciler.of(sf).model(Account.class).batchSize(1_000).run();
        print(out, repair);

        out.println();
        out.println("8. A last check");
        ReconciliationReport last = Reconciler.of(sf).checkOnly(true).run();
        print(out, last);
        out.println(last.inconsistent() + last.missing() + last.orphaned() == 0
                ? "    all consistent: every row has its snapshot, every snapshot its row"
                : "    STILL DRIFTING (this is a bug; please report it)");
    }

    private static void print(PrintStream out, ReconciliationReport r) {
        out.printf("    %,d rows read; keys: %,d consistent, %d inconsistent (%d stale, %d cache-ahead, %d corrupt), "
                        + "%d missing, %d orphaned; %d repaired; %d ms%n", r.rowsRead(), r.consistent(), r.inconsistent(),
                r.stale(), r.cacheAhead(), r.corrupt(), r.missing(), r.orphaned(), r.repaired(),
                r.elapsed().toMillis());
    }
}
