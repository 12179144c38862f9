package io.cachesync.hibernate;

import jakarta.persistence.Entity;
import jakarta.persistence.FetchType;
import jakarta.persistence.Id;
import jakarta.persistence.ManyToOne;
import jakarta.persistence.Table;

import java.time.LocalDate;

@Entity(name = "Profile")
@Table(name = "profile")
public class Profile extends VersionedEntity {

    @Id
    private String id;
    private String nickname;
    private LocalDate birthday;
    @ManyToOne(fetch = FetchType.LAZY)
    private Account account;

    protected Profile() {
    }

    public Profile(String id, String nickname, Account account) {
        this.id = id;
        this.nickname = nickname;
        this.account = account;
    }

    public String getId() {
        return id;
    }

    public String getNickname() {
        return nickname;
    }

    public void setNickname(String nickname) {
        this.nickname = nickname;
    }

    public LocalDate getBirthday() {
        return birthday;
    }

    public void setBirthday(LocalDate birthday) {
        this.birthday = birthday;
    }

    public Account getAccount() {
        return account;
    }
}
