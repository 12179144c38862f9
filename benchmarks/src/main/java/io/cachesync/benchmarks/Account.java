package io.cachesync.benchmarks;

import io.cachesync.hibernate.VersionedEntity;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import org.hibernate.annotations.Cache;
import org.hibernate.annotations.CacheConcurrencyStrategy;

/**
 * The one entity every benchmark reads and writes: a few basic fields, versioned through {@link VersionedEntity}.
 *
 * <p>The {@code @Cache} annotation only matters to the SessionFactories of the second-level-cache peers (JCache,
 * Redisson): the others are built with {@code hibernate.cache.use_second_level_cache=false}. READ_WRITE is the
 * strategy both peers' documentation lists for entities that the application updates.
 */
@Entity(name = "Account")
@Table(name = "account")
@Cache(usage = CacheConcurrencyStrategy.READ_WRITE, region = Account.REGION)
public class Account extends VersionedEntity {

    /** The second-level-cache region of this entity (configured in {@code application.conf} for JCache). */
    public static final String REGION = "account";

    @Id
    private Long id;
    private String owner;
    private String email;
    private long balanceCents;
    private String status;

    protected Account() {
    }

    public Account(long id, String owner, String email, long balanceCents, String status) {
        this.id = id;
        this.owner = owner;
        this.email = email;
        this.balanceCents = balanceCents;
        this.status = status;
    }

    public Long getId() {
        return id;
    }

    public String getOwner() {
        return owner;
    }

    public String getEmail() {
        return email;
    }

    public long getBalanceCents() {
        return balanceCents;
    }

    public void setBalanceCents(long balanceCents) {
        this.balanceCents = balanceCents;
    }

    public String getStatus() {
        return status;
    }
}
