package io.cachesync.core;

/**
 * The fate of one snapshot write.
 *
 * @param snapshot      the snapshot that was offered
 * @param written       true when Redis now holds it
 * @param storedVersion the version Redis held before the write, or -1 when it held no snapshot
 * @param failure       why the write did not reach Redis (null when Redis answered); the key is then queued
 *                      for repair
 */
public record WriteOutcome(Snapshot snapshot, boolean written, long storedVersion, Throwable failure) {

    /** Redis answered, and kept a newer (or equal) version than the one offered. */
    public boolean refused() {
        return !written && failure == null;
    }

    public boolean failed() {
        return failure != null;
    }
}
