package io.cachesync.core;

import io.lettuce.core.KeyValue;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Snapshots in Redis: versioned writes through {@link VersionedWriteScript}, single and batched reads, and key
 * scans. Writes of one batch are sent back to back and awaited together: one round trip, however many keys.
 *
 * <p>No call waits much past the configured timeout; every call fails at once while Redis is disconnected or the
 * circuit breaker is open (Redis stopped answering), and reports its outcome to the breaker.
 * Thread-safe.
 */
public final class RedisSnapshotStore {

    private static final String[] NO_KEYS = new String[0];

    /** The failure of every call refused while the circuit is open: shared, so refusing allocates no trace. */
    private static final RedisUnavailableException CIRCUIT_OPEN = RedisUnavailableException.withoutTrace(
            "circuit open: Redis stopped answering, the call was not sent");

    private final RedisConnector connector;
    private final RedisCircuitBreaker breaker;
    private final RedisKeys keys;
    private final SnapshotCodec codec;
    private final CacheSyncSettings settings;
    private final byte[] channel;
    private final byte[] tombstoneTtl;
    private final byte[] snapshotTtl;

    RedisSnapshotStore(RedisConnector connector, RedisCircuitBreaker breaker, RedisKeys keys, SnapshotCodec codec,
                       CacheSyncSettings settings) {
        this.connector = connector;
        this.breaker = breaker;
        this.keys = keys;
        this.codec = codec;
        this.settings = settings;
        this.channel = ascii(keys.invalidationChannel());
        this.tombstoneTtl = ascii(Long.toString(settings.tombstoneTtl().toMillis()));
        this.snapshotTtl = ascii(Long.toString(settings.snapshotTtl().toMillis()));
    }

    public RedisKeys keys() {
        return keys;
    }

    public SnapshotCodec codec() {
        return codec;
    }

    /** The key of one row. */
    public String key(SnapshotSchema schema, Object id) {
        return keys.key(schema.entityName(), schema.idText(id));
    }

    /**
     * Sends every write at once and returns one future per write, in order. No future ever completes
     * exceptionally: a failure is reported in its {@link WriteOutcome}.
     */
    public List<CompletableFuture<WriteOutcome>> write(List<SnapshotWrite> writes) {
        List<CompletableFuture<WriteOutcome>> outcomes = new ArrayList<>(writes.size());
        RedisClusterAsyncCommands<String, byte[]> redis = connector.async();
        for (SnapshotWrite write : writes) {
            if (redis == null || !connector.available()) {
                outcomes.add(CompletableFuture.completedFuture(new WriteOutcome(write.snapshot(), false, -1,
                        new IllegalStateException("Redis is not connected"))));
            } else if (!breaker.allows()) {
                breaker.rejectedOne();
                outcomes.add(CompletableFuture.completedFuture(new WriteOutcome(write.snapshot(), false, -1,
                        CIRCUIT_OPEN)));
            } else {
                outcomes.add(send(redis, write));
            }
        }
        return outcomes;
    }

    /** Writes one snapshot and waits for the answer (at most the configured timeout). */
    public WriteOutcome writeAndWait(SnapshotWrite write) {
        return join(write(List.of(write)).get(0));
    }

    private CompletableFuture<WriteOutcome> send(RedisClusterAsyncCommands<String, byte[]> redis, SnapshotWrite write) {
        try {
            return sendOrThrow(redis, write);
        } catch (RuntimeException e) {
            // e.g. a property value Jackson cannot write: a failed write to queue and log, never an exception
            // thrown into the application's commit or read
            return CompletableFuture.completedFuture(new WriteOutcome(write.snapshot(), false, -1, e));
        }
    }

    private CompletableFuture<WriteOutcome> sendOrThrow(RedisClusterAsyncCommands<String, byte[]> redis,
                                                        SnapshotWrite write) {
        Snapshot snapshot = write.snapshot();
        String key = keys.key(snapshot.entityName(), snapshot.id().toString());
        byte[][] args = {
                codec.encode(snapshot),
                ascii(Long.toString(snapshot.version())),
                VersionedWriteScript.modeArgument(write.mode()),
                write.expected() == null ? new byte[0] : write.expected(),
                snapshot.tombstone() ? tombstoneTtl : snapshotTtl,
                ascii(snapshot.schemaFingerprint()),
                channel,
                invalidation(write).getBytes(StandardCharsets.UTF_8),
                ascii(Long.toString(SnapshotCodec.micros(write.insertedAt())))
        };
        String[] scriptKeys = {key};
        CompletableFuture<List<Object>> reply = VersionedWriteScript.SCRIPT.run(redis, ScriptOutputType.MULTI,
                scriptKeys, args);
        return reply.handle((result, failure) -> {
            breaker.record(failure);
            return failure != null
                    ? new WriteOutcome(snapshot, false, -1, unwrap(failure))
                    : new WriteOutcome(snapshot, ((Long) result.get(0)) == 1L, (Long) result.get(1), null);
        });
    }

    /** The message announcing a write: {@code "<version> <entity> <id>"}, the version prefixed {@code i} for an insert. */
    static String invalidation(SnapshotWrite write) {
        Snapshot s = write.snapshot();
        return (write.mode() == WriteMode.INSERT ? "i" : "") + s.version() + " " + s.entityName() + " " + s.id();
    }

    /** The bytes under a key, or null when there are none (or they are not a string). */
    public byte[] read(String key) throws RedisUnavailableException {
        RedisClusterAsyncCommands<String, byte[]> redis = requireConnection();
        try {
            byte[] value = redis.get(key).get(waitMillis(), TimeUnit.MILLISECONDS);
            breaker.record(null);
            return value;
        } catch (ExecutionException e) {
            breaker.record(e);
            if (unwrap(e).getMessage() != null && unwrap(e).getMessage().startsWith("WRONGTYPE")) {
                return new byte[0];
            }
            throw new RedisUnavailableException("GET " + key, unwrap(e));
        } catch (TimeoutException e) {
            breaker.record(e);
            throw new RedisUnavailableException("GET " + key, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RedisUnavailableException("GET " + key, e);
        }
    }

    /**
     * The server's {@code run_id} ({@code INFO server}): a new one means Redis restarted, or another server
     * answers, and the dataset may have been lost. On a cluster, the run_ids of every master, sorted and joined: a
     * master that restarted or failed over to its replica (which may have lagged) changes it too. Null if an
     * answer holds none.
     */
    public String serverRunId() throws RedisUnavailableException {
        requireConnection();
        List<RedisClusterAsyncCommands<String, byte[]>> servers = connector.scanTargets();
        List<CompletableFuture<String>> answers = new ArrayList<>(servers.size());
        for (RedisClusterAsyncCommands<String, byte[]> server : servers) {
            answers.add(server.info("server").toCompletableFuture());
        }
        List<String> runIds = new ArrayList<>(servers.size());
        try {
            for (CompletableFuture<String> answer : answers) {
                String runId = runId(answer.get(waitMillis(), TimeUnit.MILLISECONDS));
                if (runId == null) {
                    return null;
                }
                runIds.add(runId);
            }
            breaker.record(null);
        } catch (ExecutionException e) {
            breaker.record(e);
            throw new RedisUnavailableException("INFO server", unwrap(e));
        } catch (TimeoutException e) {
            breaker.record(e);
            throw new RedisUnavailableException("INFO server", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RedisUnavailableException("INFO server", e);
        }
        java.util.Collections.sort(runIds);
        return String.join(",", runIds);
    }

    private static String runId(String info) {
        for (String line : info.split("\r?\n")) {
            if (line.startsWith("run_id:")) {
                return line.substring("run_id:".length()).trim();
            }
        }
        return null;
    }

    /** The bytes under each key, in order, in one MGET; null where a key holds no string. */
    public List<byte[]> readAll(List<String> keyList) throws RedisUnavailableException {
        if (keyList.isEmpty()) {
            return List.of();
        }
        RedisClusterAsyncCommands<String, byte[]> redis = requireConnection();
        try {
            List<KeyValue<String, byte[]>> values = redis.mget(keyList.toArray(NO_KEYS))
                    .get(waitMillis() * 4, TimeUnit.MILLISECONDS);
            breaker.record(null);
            List<byte[]> out = new ArrayList<>(values.size());
            for (KeyValue<String, byte[]> value : values) {
                out.add(value.getValueOrElse(null));
            }
            return out;
        } catch (ExecutionException e) {
            breaker.record(e);
            throw new RedisUnavailableException("MGET of " + keyList.size() + " keys", unwrap(e));
        } catch (TimeoutException e) {
            breaker.record(e);
            throw new RedisUnavailableException("MGET of " + keyList.size() + " keys", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RedisUnavailableException("MGET", e);
        }
    }

    /** Calls {@code sink} with every key of the entity, found with {@code SCAN} (never {@code KEYS}). */
    public void scan(String entityName, int count, Consumer<String> sink) throws RedisUnavailableException {
        scanWhile(entityName, count, key -> {
            sink.accept(key);
            return true;
        });
    }

    /**
     * As {@link #scan}, but stops (without reading further pages) once {@code sink} returns false. SCAN may
     * return a key more than once; the sink is called on the calling thread.
     */
    public void scanWhile(String entityName, int count, Predicate<String> sink) throws RedisUnavailableException {
        requireConnection();
        ScanArgs args = ScanArgs.Builder.matches(keys.pattern(entityName)).limit(count);
        List<RedisClusterAsyncCommands<String, byte[]>> targets;
        try {
            targets = connector.scanTargets();
        } catch (RedisUnavailableException e) {
            throw e;
        } catch (RuntimeException e) {
            breaker.record(e);
            throw new RedisUnavailableException("SCAN " + keys.pattern(entityName), e);
        }
        try {
            // one Redis, or each master of a cluster in turn, every cursor walked to its end
            for (RedisClusterAsyncCommands<String, byte[]> redis : targets) {
                ScanCursor cursor = ScanCursor.INITIAL;
                do {
                    KeyScanCursor<String> page = redis.scan(cursor, args)
                            .get(waitMillis() * 4, TimeUnit.MILLISECONDS);
                    for (String key : page.getKeys()) {
                        if (!sink.test(key)) {
                            return;
                        }
                    }
                    cursor = page;
                } while (!cursor.isFinished());
            }
        } catch (ExecutionException e) {
            breaker.record(e);
            throw new RedisUnavailableException("SCAN " + keys.pattern(entityName), unwrap(e));
        } catch (TimeoutException e) {
            breaker.record(e);
            throw new RedisUnavailableException("SCAN " + keys.pattern(entityName), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RedisUnavailableException("SCAN", e);
        }
    }

    /**
     * True when a call may be sent now: connected, and the circuit breaker is closed. When false, callers fail
     * fast (to the repair queue, or to the database) instead of waiting for a timeout.
     */
    public boolean available() {
        return connector.available() && breaker.allows();
    }

    /** True while the circuit breaker is open (Redis stopped answering; calls fail fast until a probe passes). */
    public boolean circuitOpen() {
        return breaker.isOpen();
    }

    /** Counts a read that went to the database at once because the circuit was open. */
    void rejectedByCircuit() {
        breaker.rejectedOne();
    }

    private RedisClusterAsyncCommands<String, byte[]> requireConnection() throws RedisUnavailableException {
        RedisClusterAsyncCommands<String, byte[]> redis = connector.async();
        if (redis == null || !connector.available()) {
            throw new RedisUnavailableException("Redis is not connected", null);
        }
        if (!breaker.allows()) {
            breaker.rejectedOne();
            throw CIRCUIT_OPEN;
        }
        return redis;
    }

    /**
     * The longest a caller waits for one answer: the command timeout (which Lettuce enforces on every command)
     * plus a margin for the timer and a loaded machine, after which the caller stops waiting anyway.
     */
    long waitMillis() {
        return settings.redisTimeout().toMillis() + 100;
    }

    WriteOutcome join(CompletableFuture<WriteOutcome> future) {
        try {
            return future.get(waitMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new WriteOutcome(null, false, -1, e);
        } catch (ExecutionException | TimeoutException e) {
            return new WriteOutcome(null, false, -1, e);
        }
    }

    static Throwable unwrap(Throwable e) {
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    /** The bytes of a text that is ASCII (numbers, keys, tokens), as Redis arguments. */
    static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
