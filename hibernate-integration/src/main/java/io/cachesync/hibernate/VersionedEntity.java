package io.cachesync.hibernate;

import jakarta.persistence.Column;
import jakarta.persistence.MappedSuperclass;
import jakarta.persistence.PrePersist;
import jakarta.persistence.PreUpdate;
import jakarta.persistence.Version;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * The superclass of every entity that cachesync keeps in Redis.
 *
 * <p>{@code version} is Hibernate's optimistic-lock version: 0 on insert, one more on every update, so two
 * transactions can never commit the same version of a row; cachesync orders snapshots by it.
 * {@code lastUpdated} is set on every insert and update, to the microsecond (the precision databases keep).
 * Entities that do not extend this class are ignored by cachesync.
 */
@MappedSuperclass
public abstract class VersionedEntity {

    @Version
    @Column(name = "version", nullable = false)
    private long version;

    @Column(name = "last_updated")
    private Instant lastUpdated;

    @PrePersist
    @PreUpdate
    void touch() {
        lastUpdated = Instant.now().truncatedTo(ChronoUnit.MICROS);
    }

    public long getVersion() {
        return version;
    }

    public Instant getLastUpdated() {
        return lastUpdated;
    }
}
