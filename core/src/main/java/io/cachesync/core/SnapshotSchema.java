package io.cachesync.core;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a snapshot of one entity type holds: its name, its id type and its persistent properties with their
 * Java types, in a fixed order.
 *
 * <p>The fingerprint is a hash of all of that. A snapshot whose fingerprint differs from the schema's (written
 * before a deploy that added, dropped or retyped a column) is never decoded into an object: it reads as a miss.
 */
public final class SnapshotSchema {

    private final String entityName;
    private final Class<?> idType;
    private final List<String> propertyNames;
    private final List<Class<?>> propertyTypes;
    private final Map<String, Integer> indexByName;
    private final String fingerprint;

    public SnapshotSchema(String entityName, Class<?> idType, List<String> propertyNames,
                          List<Class<?>> propertyTypes) {
        this.entityName = RedisKeys.checkEntityName(entityName);
        this.idType = Objects.requireNonNull(idType, "idType");
        if (propertyNames.size() != propertyTypes.size()) {
            throw new IllegalArgumentException("property names and types differ in number for " + entityName);
        }
        this.propertyNames = List.copyOf(propertyNames);
        this.propertyTypes = List.copyOf(propertyTypes);
        this.indexByName = new HashMap<>();
        for (int i = 0; i < propertyNames.size(); i++) {
            if (indexByName.put(propertyNames.get(i), i) != null) {
                throw new IllegalArgumentException("duplicate property " + propertyNames.get(i) + " in " + entityName);
            }
        }
        this.fingerprint = fingerprintOf(entityName, idType, this.propertyNames, this.propertyTypes);
    }

    private static String fingerprintOf(String entityName, Class<?> idType, List<String> names,
                                        List<Class<?>> types) {
        StringBuilder text = new StringBuilder(entityName).append('|').append(idType.getName());
        for (int i = 0; i < names.size(); i++) {
            text.append('|').append(names.get(i)).append(':').append(types.get(i).getName());
        }
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(text.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java runtime", e);
        }
    }

    public String entityName() {
        return entityName;
    }

    public Class<?> idType() {
        return idType;
    }

    public List<String> propertyNames() {
        return propertyNames;
    }

    public List<Class<?>> propertyTypes() {
        return propertyTypes;
    }

    /** The position of a property, or -1 when the schema has none of that name. */
    public int indexOf(String propertyName) {
        Integer index = indexByName.get(propertyName);
        return index == null ? -1 : index;
    }

    public String fingerprint() {
        return fingerprint;
    }

    /** The id as it appears in a Redis key and in snapshot JSON. */
    public String idText(Object id) {
        if (!idType.isInstance(id)) {
            throw new IllegalArgumentException("id " + id + " of " + entityName + " is a "
                    + (id == null ? "null" : id.getClass().getName()) + ", expected " + idType.getName());
        }
        return id.toString();
    }

    @Override
    public String toString() {
        return entityName + propertyNames + "@" + fingerprint;
    }
}
