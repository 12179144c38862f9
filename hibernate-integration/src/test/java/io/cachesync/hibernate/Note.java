package io.cachesync.hibernate;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** An entity that does not extend VersionedEntity: cachesync must leave it alone. */
@Entity(name = "Note")
@Table(name = "note")
public class Note {

    @Id
    private Long id;
    private String text;

    protected Note() {
    }

    public Note(long id, String text) {
        this.id = id;
        this.text = text;
    }

    public void setText(String text) {
        this.text = text;
    }
}
