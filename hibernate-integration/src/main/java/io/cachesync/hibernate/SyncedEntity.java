package io.cachesync.hibernate;

import io.cachesync.core.Snapshot;
import io.cachesync.core.SnapshotCodec;
import io.cachesync.core.SnapshotLoader;
import io.cachesync.core.SnapshotSchema;
import org.hibernate.engine.spi.SessionFactoryImplementor;
import org.hibernate.persister.entity.EntityPersister;
import org.hibernate.type.EntityType;
import org.hibernate.type.Type;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.invoke.LambdaConversionException;
import java.lang.invoke.LambdaMetafactory;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Modifier;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * How one entity type maps to snapshots: which persistent properties a snapshot holds (basic values, and
 * to-one associations as the target's id; collections and embeddables are left out), and how to turn a
 * persister's state array into a snapshot and a snapshot back into a detached instance.
 * Built once per entity at startup; immutable and thread-safe afterwards.
 */
final class SyncedEntity {

    private static final Logger log = LoggerFactory.getLogger(SyncedEntity.class);

    private final EntityPersister persister;
    private final SessionFactoryImplementor factory;
    private final SnapshotSchema schema;
    private final int versionIndex;
    private final int lastUpdatedIndex;
    private final int propertyCount;
    /** True when the snapshot holds every property (no collections or embeddables), so one bulk set fills it. */
    private final boolean coversEveryProperty;
    /** State-array positions of the properties a snapshot holds, in schema order. */
    private final int[] positions;
    /** For to-one properties, the target's persister (to build a reference); null for basic values. */
    private final EntityPersister[] targets;

    /** Loads a row of this entity from the database; made once, so that a read allocates no lambda. */
    private final SnapshotLoader loader;
    /** The no-argument constructor as a plain call, or null to instantiate through Hibernate (see below). */
    private final Supplier<Object> constructor;
    /** For to-one properties, the target's constructor as {@link #constructor} is this entity's; else null. */
    private final Supplier<?>[] targetConstructors;

    SyncedEntity(EntityPersister persister, SessionFactoryImplementor factory, CacheSyncRuntime runtime) {
        this.loader = id -> runtime.load(this, id);
        this.persister = persister;
        this.factory = factory;
        this.versionIndex = persister.getVersionPropertyIndex();
        String[] names = persister.getPropertyNames();
        Type[] types = persister.getPropertyTypes();
        int lastUpdated = -1;
        List<String> schemaNames = new ArrayList<>();
        List<Class<?>> schemaTypes = new ArrayList<>();
        List<Integer> schemaPositions = new ArrayList<>();
        List<EntityPersister> schemaTargets = new ArrayList<>();
        for (int i = 0; i < names.length; i++) {
            if (i == versionIndex) {
                continue;
            }
            if (names[i].equals("lastUpdated")) {
                lastUpdated = i;
                continue;
            }
            Type type = types[i];
            if (type.isCollectionType() || type.isComponentType() || type.isAnyType()) {
                continue;
            }
            if (type.isEntityType()) {
                EntityPersister target = factory.getMappingMetamodel()
                        .getEntityDescriptor(((EntityType) type).getAssociatedEntityName());
                schemaTargets.add(target);
                schemaTypes.add(boxed(target.getIdentifierType().getReturnedClass()));
            } else {
                schemaTargets.add(null);
                schemaTypes.add(boxed(type.getReturnedClass()));
            }
            schemaNames.add(names[i]);
            schemaPositions.add(i);
        }
        this.lastUpdatedIndex = lastUpdated;
        this.propertyCount = names.length;
        this.coversEveryProperty = schemaNames.size() + 1 + (lastUpdated >= 0 ? 1 : 0) == names.length;
        this.positions = schemaPositions.stream().mapToInt(Integer::intValue).toArray();
        this.targets = schemaTargets.toArray(new EntityPersister[0]);
        Class<?> idType = boxed(persister.getIdentifierType().getReturnedClass());
        if (!SnapshotCodec.supportsId(idType)) {
            throw new IllegalStateException("cachesync cannot sync " + persister.getJpaEntityName() + ": its id is a "
                    + idType.getName() + "; supported ids are Long, Integer, Short, String, UUID and BigInteger "
                    + "(a composite id has no single key text). Do not extend VersionedEntity for this entity.");
        }
        this.schema = new SnapshotSchema(persister.getJpaEntityName(), idType, schemaNames, schemaTypes);
        this.constructor = constructorFor(persister);
        this.targetConstructors = new Supplier<?>[targets.length];
        for (int p = 0; p < targets.length; p++) {
            targetConstructors[p] = targets[p] == null ? null : constructorFor(targets[p]);
        }
    }

    /** The persister's entity constructor, bound; null for an entity enhanced for lazy loading (see below). */
    private static Supplier<Object> constructorFor(EntityPersister persister) {
        return persister.getBytecodeEnhancementMetadata().isEnhancedForLazyLoading()
                ? null : constructorOf(persister.getMappedClass());
    }

    /**
     * The entity's no-argument constructor (public or protected, as Jakarta Persistence requires) bound once into
     * a {@link Supplier}. Hibernate's standard instantiator calls {@code Constructor.newInstance}: a reflective call
     * on every local-tier hit (seen in a profile of the find benchmark). Null when the class cannot be reached this
     * way (another class loader's module, an abstract class); entities enhanced for lazy loading are not bound
     * either, since Hibernate must set up their instances itself.
     */
    @SuppressWarnings("unchecked")
    static Supplier<Object> constructorOf(Class<?> type) {
        if (Modifier.isAbstract(type.getModifiers())) {
            return null;
        }
        MethodHandle factory;
        try {
            MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(type, MethodHandles.lookup());
            MethodHandle constructor = lookup.findConstructor(type, MethodType.methodType(void.class));
            factory = LambdaMetafactory.metafactory(lookup, "get", MethodType.methodType(Supplier.class),
                    MethodType.methodType(Object.class), constructor, MethodType.methodType(type)).getTarget();
        } catch (ReflectiveOperationException | LambdaConversionException | RuntimeException e) {
            log.debug("cachesync instantiates {} through Hibernate: {}", type.getName(), e.toString());
            return null;
        }
        try {
            return (Supplier<Object>) factory.invoke();
        } catch (Throwable e) {
            throw new IllegalStateException("cachesync could not bind the constructor of " + type.getName(), e);
        }
    }

    static boolean isSynced(EntityPersister persister) {
        return VersionedEntity.class.isAssignableFrom(persister.getMappedClass()) && persister.isVersioned();
    }

    SnapshotLoader loader() {
        return loader;
    }

    SnapshotSchema schema() {
        return schema;
    }

    /** The JPA entity name ({@code @Entity(name)}, by default the simple class name): the one in Redis keys. */
    String entityName() {
        return schema.entityName();
    }

    /** Hibernate's own name for the entity (the class name), which its sessions expect. */
    String hibernateName() {
        return persister.getEntityName();
    }

    Class<?> mappedClass() {
        return persister.getMappedClass();
    }

    EntityPersister persister() {
        return persister;
    }

    /** The identifier attribute's name, for queries. */
    String idPropertyName() {
        return persister.getIdentifierPropertyName();
    }

    /** The version attribute's name, for queries. */
    String versionPropertyName() {
        return persister.getPropertyNames()[versionIndex];
    }

    /** True when the entity maps {@code lastUpdated} (every {@link VersionedEntity} does). */
    boolean hasLastUpdated() {
        return lastUpdatedIndex >= 0;
    }

    /** True when the schema's property at {@code schemaPosition} is a to-one association (held as the id). */
    boolean isAssociation(int schemaPosition) {
        return targets[schemaPosition] != null;
    }

    /** For a to-one property, the name of its target's identifier attribute. */
    String targetIdPropertyName(int schemaPosition) {
        return targets[schemaPosition].getIdentifierPropertyName();
    }

    /** The snapshot of a row from a state array in the persister's property order (as events carry it). */
    Snapshot snapshot(Object id, Object[] state) {
        return Snapshot.ofValues(schema, id, version(state), lastUpdated(state), stateOf(state));
    }

    /** The tombstone for a row deleted with the given last state, by a DELETE statement that ran at {@code at}. */
    Snapshot tombstone(Object id, Object[] deletedState, Instant at) {
        return Snapshot.tombstone(schema, id, version(deletedState), at);
    }

    /** The snapshot of a loaded (managed or detached) instance. */
    Snapshot snapshotOf(Object entity) {
        return snapshot(persister.getIdentifier(entity), persister.getValues(entity));
    }

    private Object[] stateOf(Object[] state) {
        Object[] values = new Object[positions.length];
        for (int p = 0; p < positions.length; p++) {
            Object value = state[positions[p]];
            if (targets[p] != null && value != null) {
                // a reference, possibly an uninitialized proxy: its id without loading it
                value = factory.getPersistenceUnitUtil().getIdentifier(value);
            }
            values[p] = value;
        }
        return values;
    }

    private long version(Object[] state) {
        Object version = state[versionIndex];
        return version == null ? 0 : ((Number) version).longValue();
    }

    private Instant lastUpdated(Object[] state) {
        return lastUpdatedIndex < 0 ? null : (Instant) state[lastUpdatedIndex];
    }

    /**
     * A new detached instance holding the snapshot's state. A to-one association comes back as a detached
     * reference that holds only the target's id.
     */
    Object materialize(Snapshot snapshot) {
        Object entity = instantiate(persister, constructor, snapshot.id());
        if (coversEveryProperty) {
            // one call into Hibernate's generated bulk accessor, instead of one setter call per property
            Object[] all = new Object[propertyCount];
            all[versionIndex] = snapshot.version();
            if (lastUpdatedIndex >= 0) {
                all[lastUpdatedIndex] = snapshot.lastUpdated();
            }
            for (int p = 0; p < positions.length; p++) {
                all[positions[p]] = reference(p, snapshot.value(p));
            }
            persister.setPropertyValues(entity, all);
            return entity;
        }
        persister.setValue(entity, versionIndex, snapshot.version());
        if (lastUpdatedIndex >= 0) {
            persister.setValue(entity, lastUpdatedIndex, snapshot.lastUpdated());
        }
        for (int p = 0; p < positions.length; p++) {
            persister.setValue(entity, positions[p], reference(p, snapshot.value(p)));
        }
        return entity;
    }

    private Object reference(int p, Object value) {
        return targets[p] != null && value != null ? instantiate(targets[p], targetConstructors[p], value) : value;
    }

    /** A new instance holding only its id: through the bound constructor if there is one, else through Hibernate. */
    private static Object instantiate(EntityPersister persister, Supplier<?> constructor, Object id) {
        if (constructor == null) {
            return persister.instantiate(id, null);
        }
        Object entity = constructor.get();
        persister.setIdentifier(entity, id, null);
        return entity;
    }

    private static Class<?> boxed(Class<?> type) {
        if (!type.isPrimitive()) {
            return type;
        }
        if (type == long.class) {
            return Long.class;
        }
        if (type == int.class) {
            return Integer.class;
        }
        if (type == boolean.class) {
            return Boolean.class;
        }
        if (type == double.class) {
            return Double.class;
        }
        if (type == float.class) {
            return Float.class;
        }
        if (type == short.class) {
            return Short.class;
        }
        if (type == byte.class) {
            return Byte.class;
        }
        return Character.class;
    }
}
