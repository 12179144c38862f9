package io.cachesync.examples.model;

import io.cachesync.hibernate.VersionedEntity;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;

import java.math.BigDecimal;

/** A bank account: the demo's main entity. Extending VersionedEntity is all it takes to be cached. */
@Entity(name = "Account")
public class Account extends VersionedEntity {

    @Id
    private Long id;
    private String owner;
    private BigDecimal balance;

    protected Account() {
    }

    public Account(long id, String owner, BigDecimal balance) {
        this.id = id;
        this.owner = owner;
        this.balance = balance;
    }

    public Long getId() {
        return id;
    }

    public String getOwner() {
        return owner;
    }

    public BigDecimal getBalance() {
        return balance;
    }

    public void setBalance(BigDecimal balance) {
        this.balance = balance;
    }
}
