package io.cachesync.hibernate;

import io.cachesync.core.CacheSyncSettings;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import org.hibernate.SessionFactory;
import org.hibernate.SessionFactoryObserver;
import org.hibernate.boot.Metadata;
import org.hibernate.boot.spi.BootstrapContext;
import org.hibernate.engine.spi.SessionFactoryImplementor;
import org.hibernate.event.service.spi.EventListenerRegistry;
import org.hibernate.event.spi.EventType;
import org.hibernate.integrator.spi.Integrator;
import org.hibernate.service.spi.SessionFactoryServiceRegistry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Switches cachesync on for a SessionFactory whose settings hold {@code cachesync.redis.uri}; found by Hibernate
 * through {@code ServiceLoader}, never called by users. Without that key it does nothing at all. With it, every
 * other {@code cachesync.*} key is validated at once (a malformed one fails the bootstrap, naming key and value),
 * the post-commit listeners are appended, and the Redis connection is opened once the SessionFactory is built.
 * An unreachable Redis does not fail the bootstrap. Closing the SessionFactory closes everything cachesync opened.
 */
public final class CacheSyncIntegrator implements Integrator {

    /** Optional setting: a Micrometer {@code MeterRegistry} object (default: Micrometer's global registry). */
    public static final String METER_REGISTRY = "cachesync.metrics.registry";

    static final Map<SessionFactory, CacheSyncRuntime> RUNTIMES = new ConcurrentHashMap<>();

    @Override
    public void integrate(Metadata metadata, BootstrapContext bootstrapContext,
                          SessionFactoryImplementor sessionFactory) {
        Map<String, Object> properties = sessionFactory.getProperties();
        if (!CacheSyncSettings.enabledBy(properties)) {
            return;
        }
        CacheSyncSettings settings = CacheSyncSettings.fromProperties(properties);
        Object registry = properties.get(METER_REGISTRY);
        if (registry != null && !(registry instanceof MeterRegistry)) {
            throw new io.cachesync.core.InvalidSettingException(METER_REGISTRY, registry,
                    "must be a io.micrometer.core.instrument.MeterRegistry instance");
        }
        io.cachesync.core.monitor.MonitorSettings monitorSettings =
                io.cachesync.core.monitor.MonitorSettings.fromProperties(properties);
        CacheSyncRuntime runtime = new CacheSyncRuntime(settings, monitorSettings,
                registry == null ? Metrics.globalRegistry : (MeterRegistry) registry);
        CommitListener listener = new CommitListener(runtime);
        EventListenerRegistry listeners = sessionFactory.getServiceRegistry().requireService(EventListenerRegistry.class);
        listeners.appendListeners(EventType.POST_COMMIT_INSERT, listener);
        listeners.appendListeners(EventType.POST_COMMIT_UPDATE, listener);
        listeners.appendListeners(EventType.POST_COMMIT_DELETE, listener);
        StatementTimeListener statements = new StatementTimeListener(runtime);
        listeners.appendListeners(EventType.POST_INSERT, statements);
        listeners.appendListeners(EventType.POST_DELETE, statements);
        sessionFactory.addObserver(new SessionFactoryObserver() {
            @Override
            public void sessionFactoryCreated(SessionFactory factory) {
                runtime.start((SessionFactoryImplementor) factory);
                RUNTIMES.put(factory, runtime);
            }

            @Override
            public void sessionFactoryClosing(SessionFactory factory) {
                runtime.stopBackgroundWork(); // before Hibernate closes what their database loads need
            }
        });
        RUNTIMES.put(sessionFactory, runtime);
    }

    @Override
    public void disintegrate(SessionFactoryImplementor sessionFactory, SessionFactoryServiceRegistry serviceRegistry) {
        CacheSyncRuntime runtime = RUNTIMES.remove(sessionFactory);
        if (runtime != null) {
            runtime.close();
        }
    }
}
