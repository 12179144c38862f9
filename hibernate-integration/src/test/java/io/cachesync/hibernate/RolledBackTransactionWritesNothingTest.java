package io.cachesync.hibernate;

import io.cachesync.testsupport.TestRedis;
import jakarta.persistence.OptimisticLockException;
import org.hibernate.Session;
import org.hibernate.Transaction;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Invariant 1: nothing of a transaction that rolled back, or failed to commit, reaches Redis or a local tier. */
class RolledBackTransactionWritesNothingTest extends OneNodeTest {

    @Test
    void aRolledBackInsertLeavesNoKey(TestRedis redis) {
        try (Session session = sf.openSession()) {
            Transaction tx = session.beginTransaction();
            session.persist(new Account(1, "ann", BigDecimal.ONE));
            session.flush(); // the row reached the database inside the transaction
            tx.rollback();
        }
        assertEquals(0, redis.commands().exists(sync.key(Account.class, 1L)));
        assertTrue(sync.find(Account.class, 1L).isEmpty());
        assertEquals(0, redis.commands().keys("cachesync:*").stream().filter(k -> !k.endsWith("invalidations")).count());
    }

    @Test
    void aRolledBackUpdateAndDeleteLeaveTheCommittedSnapshot() {
        sf.inTransaction(s -> s.persist(new Account(2, "bob", BigDecimal.ONE)));
        assertEquals("bob", sync.find(Account.class, 2L).orElseThrow().getOwner()); // now in the local tier too
        try (Session session = sf.openSession()) {
            Transaction tx = session.beginTransaction();
            session.find(Account.class, 2L).setOwner("uncommitted");
            session.flush();
            session.remove(session.find(Account.class, 2L));
            session.flush();
            tx.rollback();
        }
        assertEquals(0, sync.snapshot(Account.class, 2L).orElseThrow().version());
        assertEquals("bob", sync.snapshot(Account.class, 2L).orElseThrow().state().get("owner"));
        assertEquals("bob", sync.find(Account.class, 2L).orElseThrow().getOwner());
        CacheAgreesWithDatabase.assertAgrees(sf, true);
    }

    @Test
    void aCommitThatFailsOnAVersionConflictWritesNothing() {
        sf.inTransaction(s -> s.persist(new Account(4, "cy", BigDecimal.ONE)));
        Session loser = sf.openSession();
        Transaction loserTx = loser.beginTransaction();
        Account stale = loser.find(Account.class, 4L);
        sf.inTransaction(s -> s.find(Account.class, 4L).setOwner("winner"));
        stale.setOwner("loser");
        assertThrows(OptimisticLockException.class, loserTx::commit);
        loser.close();

        assertEquals(1, sync.snapshot(Account.class, 4L).orElseThrow().version());
        assertEquals("winner", sync.snapshot(Account.class, 4L).orElseThrow().state().get("owner"));
        assertEquals("winner", sync.find(Account.class, 4L).orElseThrow().getOwner());
        CacheAgreesWithDatabase.assertAgrees(sf, true);
    }

    @Test
    void aCommitThatFailsOnAConstraintWritesNothingOfTheTransaction(TestRedis redis) {
        sf.inTransaction(s -> s.persist(new Account(5, "dee", BigDecimal.ONE)));
        Session session = sf.openSession();
        Transaction tx = session.beginTransaction();
        session.persist(new Account(6, "new", BigDecimal.ONE));
        session.find(Account.class, 5L).setOwner("changed");
        sf.inTransaction(other -> other.persist(new Note(1, "committed elsewhere")));
        session.persist(new Note(1, "duplicate id")); // the primary key fails at commit-time flush
        assertThrows(RuntimeException.class, tx::commit);
        session.close();

        assertEquals(0, redis.commands().exists(sync.key(Account.class, 6L)));
        assertEquals("dee", sync.snapshot(Account.class, 5L).orElseThrow().state().get("owner"));
        CacheAgreesWithDatabase.assertAgrees(sf, true);
    }
}
