package io.cachesync.hibernate;

import io.cachesync.core.CacheSyncSettings;
import io.cachesync.core.Snapshot;
import io.cachesync.core.SnapshotCache;
import io.cachesync.core.SnapshotWrite;
import io.cachesync.core.monitor.ConsistencyMonitor;
import io.cachesync.core.monitor.MonitorSettings;
import io.cachesync.core.monitor.MonitoredEntity;
import io.micrometer.core.instrument.MeterRegistry;
import org.hibernate.StatelessSession;
import org.hibernate.engine.spi.SessionFactoryImplementor;
import org.hibernate.engine.spi.SharedSessionContractImplementor;
import org.hibernate.persister.entity.EntityPersister;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * cachesync's state for one SessionFactory: the synced entities, the snapshot cache and the per-session
 * transaction buffers. Created when the integrator runs; started once Hibernate's metamodel exists.
 */
final class CacheSyncRuntime implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CacheSyncRuntime.class);

    private final CacheSyncSettings settings;
    private final MeterRegistry registry;
    private final Map<SharedSessionContractImplementor, TransactionSnapshots> transactions = new ConcurrentHashMap<>();
    private volatile Map<String, SyncedEntity> byName = Map.of();
    private volatile Map<String, SyncedEntity> byHibernateName = Map.of();
    private volatile Map<Class<?>, SyncedEntity> byClass = Map.of();
    private volatile SessionFactoryImplementor factory;
    private volatile SnapshotCache cache;
    private final MonitorSettings monitorSettings;
    private volatile ConsistencyMonitor monitor;
    private volatile AutoReconciler autoReconciler;

    CacheSyncRuntime(CacheSyncSettings settings, MeterRegistry registry) {
        this(settings, MonitorSettings.defaults(), registry);
    }

    CacheSyncRuntime(CacheSyncSettings settings, MonitorSettings monitorSettings, MeterRegistry registry) {
        this.settings = settings;
        this.monitorSettings = monitorSettings;
        this.registry = registry;
    }

    void start(SessionFactoryImplementor sessionFactory) {
        this.factory = sessionFactory;
        Map<String, SyncedEntity> names = new HashMap<>();
        Map<String, SyncedEntity> hibernateNames = new HashMap<>();
        Map<Class<?>, SyncedEntity> classes = new HashMap<>();
        sessionFactory.getMappingMetamodel().forEachEntityDescriptor(persister -> {
            if (SyncedEntity.isSynced(persister)) {
                SyncedEntity entity = new SyncedEntity(persister, sessionFactory, this);
                names.put(entity.entityName(), entity);
                hibernateNames.put(entity.hibernateName(), entity);
                classes.put(entity.mappedClass(), entity);
            }
        });
        this.byName = Map.copyOf(names);
        this.byHibernateName = Map.copyOf(hibernateNames);
        this.byClass = Map.copyOf(classes);
        SnapshotCache started = new SnapshotCache(settings, registry);
        names.values().forEach(entity -> started.register(entity.schema(), entity.loader()));
        this.cache = started;
        Map<String, MonitoredEntity> monitored = new HashMap<>();
        names.values().forEach(entity -> monitored.put(entity.entityName(),
                new MonitoredEntity(entity.schema(), entity.loader())));
        AutoReconciler reconciler = new AutoReconciler(this, monitorSettings, started.instance());
        ConsistencyMonitor watching = new ConsistencyMonitor(started, monitorSettings, registry,
                Integer.toString(started.instance()), monitored, reconciler);
        started.onDriftSeen(watching::suspect);
        this.autoReconciler = reconciler;
        this.monitor = watching;
        log.info("cachesync on: {} entities synced to Redis at {} under prefix '{}' ({} push)", names.size(),
                settings.redisUriForLogs(), settings.keyPrefix(), settings.pushMode().name().toLowerCase());
        started.startWarming(); // with cachesync.warm.enabled: waits for the first warm-up, within its bound
    }

    CacheSyncSettings settings() {
        return settings;
    }

    SnapshotCache cache() {
        SnapshotCache c = cache;
        if (c == null) {
            throw new IllegalStateException("cachesync has not started: the SessionFactory is not built yet");
        }
        return c;
    }

    /** The consistency monitor (which also watches for data loss and overflows). */
    ConsistencyMonitor monitor() {
        ConsistencyMonitor m = monitor;
        if (m == null) {
            throw new IllegalStateException("cachesync has not started: the SessionFactory is not built yet");
        }
        return m;
    }

    AutoReconciler autoReconciler() {
        return autoReconciler;
    }

    MonitorSettings monitorSettings() {
        return monitorSettings;
    }

    SessionFactoryImplementor factory() {
        return factory;
    }

    SyncedEntity entity(EntityPersister persister) {
        return byHibernateName.get(persister.getEntityName());
    }

    /** By JPA entity name ({@code Account}) or Hibernate's (the class name); null if not synced. */
    SyncedEntity entity(String entityName) {
        SyncedEntity entity = byName.get(entityName);
        return entity != null ? entity : byHibernateName.get(entityName);
    }

    SyncedEntity entity(Class<?> type) {
        SyncedEntity entity = byClass.get(type);
        if (entity == null) {
            throw new IllegalArgumentException(type.getName() + " is not synced by cachesync: it must be an "
                    + "entity that extends " + VersionedEntity.class.getName());
        }
        return entity;
    }

    Map<String, SyncedEntity> entities() {
        return byName;
    }

    TransactionSnapshots transaction(SharedSessionContractImplementor session) {
        TransactionSnapshots buffer = transactions.get(session);
        if (buffer == null) {
            buffer = new TransactionSnapshots(this, session);
            transactions.put(session, buffer);
            session.getEventListenerManager().addListener(buffer);
        }
        return buffer;
    }

    void forget(SharedSessionContractImplementor session) {
        transactions.remove(session);
    }

    /** Test hook: runs between the commit and the push, to widen race windows. Null in production. */
    volatile Runnable beforePush;
    /** Test hook: runs once the push returned to the committing thread (to time it). Null in production. */
    volatile Runnable afterPush;

    void publish(List<SnapshotWrite> writes) {
        ConsistencyMonitor m = monitor;
        if (m != null) {
            m.sample(writes); // at commit time: a sample's age counts from here
        }
        Runnable hook = beforePush;
        if (hook != null) {
            hook.run();
        }
        SnapshotCache c = cache;
        if (c != null) {
            c.publish(writes);
        } else {
            // the SessionFactory was closed while this transaction committed: say which keys Redis will miss
            log.warn("cachesync is closed; {} committed change(s) not pushed to Redis ({}); run the Reconciler to "
                    + "repair them", writes.size(), describe(writes));
        }
        Runnable after = afterPush;
        if (after != null) {
            after.run();
        }
    }

    private static String describe(List<SnapshotWrite> writes) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < Math.min(writes.size(), 20); i++) {
            Snapshot s = writes.get(i).snapshot();
            text.append(i == 0 ? "" : ", ").append(s.entityName()).append('#').append(s.id()).append(" v")
                    .append(s.version());
        }
        return writes.size() > 20 ? text + ", …" : text.toString();
    }

    /** A committed change whose snapshot could not be taken: nothing may be thrown into the commit. */
    void snapshotFailed(SyncedEntity entity, Object id, RuntimeException e) {
        log.error("cachesync could not snapshot {}#{} after its commit ({}); the key may be stale in Redis until the "
                + "Reconciler repairs {}", entity.entityName(), id, e.toString(), entity.entityName(), e);
        SnapshotCache c = cache;
        if (c != null) {
            c.markForReconciliation(entity.entityName());
        }
    }

    /** A committed transaction whose snapshots could not be published at all. */
    void publishFailed(List<SnapshotWrite> writes, RuntimeException e) {
        log.error("cachesync could not publish {} committed change(s) ({}): {}; their entities are marked "
                + "for reconciliation", writes.size(), describe(writes), e.toString(), e);
        SnapshotCache c = cache;
        if (c != null) {
            writes.forEach(w -> c.markForReconciliation(w.snapshot().entityName()));
        }
    }

    /** Loads a row's committed state straight from the database. */
    Optional<Snapshot> load(SyncedEntity entity, Object id) {
        try (StatelessSession session = factory.openStatelessSession()) {
            Object row = session.get(entity.hibernateName(), id);
            return row == null ? Optional.empty() : Optional.of(entity.snapshotOf(row));
        }
    }

    /** Stops the monitor and any automatic Reconciler run: the SessionFactory is closing. */
    void stopBackgroundWork() {
        ConsistencyMonitor m = monitor;
        if (m != null) {
            m.close();
        }
        AutoReconciler r = autoReconciler;
        if (r != null) {
            r.close();
        }
    }

    @Override
    public void close() {
        ConsistencyMonitor m = monitor;
        monitor = null;
        if (m != null) {
            m.close();
        }
        AutoReconciler r = autoReconciler;
        autoReconciler = null;
        if (r != null) {
            r.close();
        }
        SnapshotCache c = cache;
        cache = null;
        if (c != null) {
            c.close();
        }
        transactions.clear();
    }
}
