package io.cachesync.hibernate;

import org.junit.jupiter.api.Test;

import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * A local-tier hit builds its detached instance through the entity's no-argument constructor bound once at
 * startup, not through {@code Constructor.newInstance}; a class that cannot be bound that way falls back to
 * Hibernate's instantiator instead of failing.
 */
class EntitiesAreBuiltWithoutReflectionTest {

    @Test
    void aProtectedNoArgumentConstructorIsBoundAndBuildsAFreshInstanceEachCall() {
        Supplier<Object> accounts = SyncedEntity.constructorOf(Account.class);
        assertNotNull(accounts, "Account's protected constructor is what Jakarta Persistence asks for");
        Object first = accounts.get();
        assertInstanceOf(Account.class, first);
        assertNotSame(first, accounts.get());
    }

    @Test
    void aPrivateNoArgumentConstructorIsBoundToo() {
        assertInstanceOf(PrivateConstructor.class, SyncedEntity.constructorOf(PrivateConstructor.class).get());
    }

    @Test
    void aClassWithoutANoArgumentConstructorOrAnAbstractOneFallsBackToHibernate() {
        assertNull(SyncedEntity.constructorOf(NoDefaultConstructor.class));
        assertNull(SyncedEntity.constructorOf(AbstractType.class));
    }

    static final class PrivateConstructor {
        private PrivateConstructor() {
        }
    }

    static final class NoDefaultConstructor {
        NoDefaultConstructor(long ignored) {
        }
    }

    abstract static class AbstractType {
    }
}
