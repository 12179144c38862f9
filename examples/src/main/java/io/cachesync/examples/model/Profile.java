package io.cachesync.examples.model;

import io.cachesync.hibernate.VersionedEntity;
import jakarta.persistence.Entity;
import jakarta.persistence.FetchType;
import jakarta.persistence.Id;
import jakarta.persistence.ManyToOne;

/** A customer profile that refers to its account: cached with the account's id. */
@Entity(name = "Profile")
public class Profile extends VersionedEntity {

    @Id
    private Long id;
    private String displayName;
    @ManyToOne(fetch = FetchType.LAZY)
    private Account account;

    protected Profile() {
    }

    public Profile(long id, String displayName, Account account) {
        this.id = id;
        this.displayName = displayName;
        this.account = account;
    }

    public Long getId() {
        return id;
    }

    public String getDisplayName() {
        return displayName;
    }

    public void setDisplayName(String displayName) {
        this.displayName = displayName;
    }

    public Account getAccount() {
        return account;
    }
}
