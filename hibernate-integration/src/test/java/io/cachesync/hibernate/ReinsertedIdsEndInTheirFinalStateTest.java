package io.cachesync.hibernate;

import io.cachesync.core.Snapshot;
import org.hibernate.Session;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Deleting a row and inserting a new one with the same id, in one transaction or two, leaves the new row. */
class ReinsertedIdsEndInTheirFinalStateTest extends OneNodeTest {

    @Test
    void aDeleteAndAReinsertInOneTransactionPublishTheNewRow() {
        sf.inTransaction(s -> s.persist(new Account(1, "old", BigDecimal.ONE)));
        sf.inTransaction(s -> s.find(Account.class, 1L).setOwner("old2"));
        try (Session session = sf.openSession()) {
            session.beginTransaction();
            session.remove(session.find(Account.class, 1L));
            session.flush();
            session.persist(new Account(1, "new", BigDecimal.TEN));
            session.getTransaction().commit();
        }
        Snapshot snapshot = sync.snapshot(Account.class, 1L).orElseThrow();
        assertFalse(snapshot.tombstone(), "the re-inserted row, not the tombstone");
        assertEquals("new", snapshot.state().get("owner"));
        assertEquals("new", sync.find(Account.class, 1L).orElseThrow().getOwner(), "read-your-writes");
        CacheAgreesWithDatabase.assertAgrees(sf, true);
    }

    @Test
    void anInsertAndADeleteInOneTransactionPublishTheTombstone() {
        try (Session session = sf.openSession()) {
            session.beginTransaction();
            Account account = new Account(2, "brief", BigDecimal.ONE);
            session.persist(account);
            session.flush();
            session.remove(account);
            session.getTransaction().commit();
        }
        assertTrue(sync.snapshot(Account.class, 2L).map(Snapshot::tombstone).orElse(true));
        assertTrue(sync.find(Account.class, 2L).isEmpty());
        CacheAgreesWithDatabase.assertAgrees(sf, true);
    }
}
