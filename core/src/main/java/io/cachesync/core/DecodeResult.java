package io.cachesync.core;

/**
 * What came of decoding the bytes under a key: a snapshot, or the reason the bytes are not one.
 * Undecodable bytes are never an exception for the caller: they are a miss to be repaired.
 */
public sealed interface DecodeResult permits DecodeResult.Decoded, DecodeResult.Undecodable {

    /** The bytes are a snapshot of the expected entity and id, under the current schema. */
    record Decoded(Snapshot snapshot) implements DecodeResult {
    }

    /**
     * The bytes are not a usable snapshot: truncated, foreign, of another schema or for another key.
     *
     * @param schemaMismatch true when the bytes are a well-formed snapshot written under another mapping
     * @param reason         a short description for logs, never the bytes themselves
     */
    record Undecodable(boolean schemaMismatch, String reason) implements DecodeResult {
    }
}
