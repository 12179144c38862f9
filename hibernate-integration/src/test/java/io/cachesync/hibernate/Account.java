package io.cachesync.hibernate;

import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.OneToMany;
import jakarta.persistence.Table;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

@Entity(name = "Account")
@Table(name = "account")
public class Account extends VersionedEntity {

    public enum Status { OPEN, FROZEN, CLOSED }

    @Id
    private Long id;
    private String owner;
    private BigDecimal balance;
    @Enumerated(EnumType.STRING)
    private Status status = Status.OPEN;
    /** Not part of a snapshot: an account built by find keeps the empty list its constructor made. */
    @OneToMany(mappedBy = "account")
    private List<Profile> profiles = new ArrayList<>();

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

    public void setOwner(String owner) {
        this.owner = owner;
    }

    public BigDecimal getBalance() {
        return balance;
    }

    public void setBalance(BigDecimal balance) {
        this.balance = balance;
    }

    public List<Profile> getProfiles() {
        return profiles;
    }

    public Status getStatus() {
        return status;
    }

    public void setStatus(Status status) {
        this.status = status;
    }
}
