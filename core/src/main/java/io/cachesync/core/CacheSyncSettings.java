package io.cachesync.core;

import io.lettuce.core.RedisURI;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

import static io.cachesync.core.SettingValues.bool;
import static io.cachesync.core.SettingValues.duration;
import static io.cachesync.core.SettingValues.number;
import static io.cachesync.core.SettingValues.text;

/**
 * Every cachesync setting, validated. Built from the {@code cachesync.*} keys of {@code hibernate.properties}
 * (or any map of the same keys); a key that is set but malformed fails with an {@link InvalidSettingException}
 * naming the key and the value. Immutable.
 */
public final class CacheSyncSettings {

    public static final String REDIS_URI = "cachesync.redis.uri";
    public static final String KEY_PREFIX = "cachesync.key-prefix";
    public static final String REDIS_TIMEOUT = "cachesync.redis.timeout";
    public static final String TOMBSTONE_TTL = "cachesync.tombstone-ttl";
    public static final String SNAPSHOT_TTL = "cachesync.snapshot-ttl";
    public static final String PUSH_MODE = "cachesync.push.mode";
    public static final String LOCAL_ENABLED = "cachesync.local.enabled";
    public static final String LOCAL_MAXIMUM_SIZE = "cachesync.local.maximum-size";
    public static final String LOCAL_EXPIRE_AFTER_WRITE = "cachesync.local.expire-after-write";
    public static final String REPAIR_MAX_PENDING = "cachesync.repair.max-pending";
    public static final String REPAIR_MAX_BACKOFF = "cachesync.repair.max-backoff";
    public static final String BREAKER_FAILURES = "cachesync.redis.breaker.failures";
    public static final String BREAKER_PROBE_INTERVAL = "cachesync.redis.breaker.probe-interval";
    public static final String TLS_CA_FILE = "cachesync.redis.tls.ca-file";
    public static final String LOCK_LEASE = "cachesync.lock.lease";
    public static final String LOCK_WAIT = "cachesync.lock.wait";
    public static final String WARM_ENABLED = "cachesync.warm.enabled";
    public static final String WARM_TOP_K = "cachesync.warm.top-k";
    public static final String WARM_SAMPLE_ONE_IN = "cachesync.warm.sample-one-in";
    public static final String WARM_PUBLISH_INTERVAL = "cachesync.warm.publish-interval";
    public static final String WARM_HALF_LIFE = "cachesync.warm.half-life";
    public static final String WARM_STARTUP_WAIT = "cachesync.warm.startup-wait";

    /** When the committing thread waits for Redis. */
    public enum PushMode {
        /** {@code commit()} returns once Redis holds the new versions, or the keys are queued for repair. */
        SYNC,
        /** {@code commit()} returns at once; the push completes in the background. */
        ASYNC
    }

    private final RedisURI redisUri;
    private final java.util.List<RedisURI> clusterSeeds;
    private final String keyPrefix;
    private final Duration redisTimeout;
    private final Duration tombstoneTtl;
    private final Duration snapshotTtl;
    private final PushMode pushMode;
    private final boolean localEnabled;
    private final long localMaximumSize;
    private final Duration localExpireAfterWrite;
    private final int repairMaxPending;
    private final Duration repairMaxBackoff;
    private final int breakerFailures;
    private final Duration breakerProbeInterval;
    private final java.nio.file.Path tlsCaFile;
    private final Duration lockLease;
    private final Duration lockWait;
    private final Warming warming;

    private CacheSyncSettings(Builder b, Duration lockLease) {
        this.redisUri = Objects.requireNonNull(b.redisUri, REDIS_URI);
        this.clusterSeeds = b.clusterSeeds;
        this.keyPrefix = b.keyPrefix;
        this.redisTimeout = b.redisTimeout;
        this.tombstoneTtl = b.tombstoneTtl;
        this.snapshotTtl = b.snapshotTtl;
        this.pushMode = b.pushMode;
        this.localEnabled = b.localEnabled;
        this.localMaximumSize = b.localMaximumSize;
        this.localExpireAfterWrite = b.localExpireAfterWrite;
        this.repairMaxPending = b.repairMaxPending;
        this.repairMaxBackoff = b.repairMaxBackoff;
        this.breakerFailures = b.breakerFailures;
        this.breakerProbeInterval = b.breakerProbeInterval;
        this.tlsCaFile = b.tlsCaFile;
        this.lockLease = lockLease;
        this.lockWait = b.lockWait;
        this.warming = new Warming(b.warmEnabled, b.warmTopK, b.warmSampleOneIn, b.warmPublishInterval,
                b.warmHalfLife, b.warmStartupWait);
    }

    /** True when the map switches cachesync on, i.e. holds {@value #REDIS_URI}. */
    public static boolean enabledBy(Map<String, ?> properties) {
        Object uri = properties.get(REDIS_URI);
        return uri != null && !uri.toString().isBlank();
    }

    /** Reads and validates every {@code cachesync.*} key of the map; absent keys take their defaults. */
    public static CacheSyncSettings fromProperties(Map<String, ?> properties) {
        Builder b = builder(text(properties, REDIS_URI));
        String prefix = text(properties, KEY_PREFIX);
        if (prefix != null) {
            try {
                b.keyPrefix(prefix);
            } catch (IllegalArgumentException e) {
                throw new InvalidSettingException(KEY_PREFIX, prefix, e.getMessage());
            }
        }
        Duration timeout = duration(properties, REDIS_TIMEOUT, false);
        if (timeout != null) {
            b.redisTimeout(timeout);
        }
        Duration tombstoneTtl = duration(properties, TOMBSTONE_TTL, false);
        if (tombstoneTtl != null) {
            b.tombstoneTtl(tombstoneTtl);
        }
        Duration snapshotTtl = duration(properties, SNAPSHOT_TTL, true);
        if (snapshotTtl != null) {
            b.snapshotTtl(snapshotTtl);
        }
        String mode = text(properties, PUSH_MODE);
        if (mode != null) {
            try {
                b.pushMode(PushMode.valueOf(mode.trim().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new InvalidSettingException(PUSH_MODE, mode, "expected sync or async");
            }
        }
        String enabled = text(properties, LOCAL_ENABLED);
        if (enabled != null) {
            b.localEnabled(bool(LOCAL_ENABLED, enabled));
        }
        Long maximumSize = number(properties, LOCAL_MAXIMUM_SIZE, 1, Long.MAX_VALUE);
        if (maximumSize != null) {
            b.localMaximumSize(maximumSize);
        }
        Duration expire = duration(properties, LOCAL_EXPIRE_AFTER_WRITE, false);
        if (expire != null) {
            b.localExpireAfterWrite(expire);
        }
        Long maxPending = number(properties, REPAIR_MAX_PENDING, 1, Integer.MAX_VALUE);
        if (maxPending != null) {
            b.repairMaxPending(maxPending.intValue());
        }
        Duration backoff = duration(properties, REPAIR_MAX_BACKOFF, false);
        if (backoff != null) {
            b.repairMaxBackoff(backoff);
        }
        Long failures = number(properties, BREAKER_FAILURES, 1, 1_000_000);
        if (failures != null) {
            b.breakerFailures(failures.intValue());
        }
        Duration probe = duration(properties, BREAKER_PROBE_INTERVAL, false);
        if (probe != null) {
            b.breakerProbeInterval(probe);
        }
        String caFile = text(properties, TLS_CA_FILE);
        if (caFile != null) {
            b.tlsCaFile(java.nio.file.Path.of(caFile.trim()));
        }
        Duration lease = duration(properties, LOCK_LEASE, false);
        if (lease != null) {
            b.lockLease(lease);
        }
        Duration wait = duration(properties, LOCK_WAIT, true);
        if (wait != null) {
            b.lockWait(wait);
        }
        readWarming(properties, b);
        return b.build();
    }

    private static void readWarming(Map<String, ?> properties, Builder b) {
        String warm = text(properties, WARM_ENABLED);
        if (warm != null) {
            b.warmEnabled(bool(WARM_ENABLED, warm));
        }
        Long topK = number(properties, WARM_TOP_K, 1, 1_000_000);
        if (topK != null) {
            b.warmTopK(topK.intValue());
        }
        Long oneIn = number(properties, WARM_SAMPLE_ONE_IN, 1, 1_000_000);
        if (oneIn != null) {
            b.warmSampleOneIn(oneIn.intValue());
        }
        Duration publish = duration(properties, WARM_PUBLISH_INTERVAL, false);
        if (publish != null) {
            b.warmPublishInterval(publish);
        }
        Duration halfLife = duration(properties, WARM_HALF_LIFE, false);
        if (halfLife != null) {
            b.warmHalfLife(halfLife);
        }
        Duration wait = duration(properties, WARM_STARTUP_WAIT, true);
        if (wait != null) {
            b.warmStartupWait(wait);
        }
    }

    public static Builder builder(String redisUri) {
        java.util.List<RedisURI> seeds = parseClusterSeeds(redisUri);
        Builder b = new Builder(seeds.isEmpty() ? parseUri(redisUri) : seeds.get(0));
        b.clusterSeeds = seeds;
        return b;
    }

    /** The seeds of a {@code redis-cluster://} URI; empty for any other URI. */
    private static java.util.List<RedisURI> parseClusterSeeds(String value) {
        String uri = value == null ? "" : value.trim();
        int end = uri.indexOf("://");
        if (end < 0 || !RedisClusterSeeds.isClusterScheme(uri.substring(0, end).toLowerCase(Locale.ROOT))) {
            return java.util.List.of();
        }
        try {
            return RedisClusterSeeds.parse(uri);
        } catch (RuntimeException e) {
            throw new InvalidSettingException(REDIS_URI, masked(uri), "not a Redis Cluster URI such as "
                    + "redis-cluster://host1:7000,host2:7001 (" + e.getMessage() + ")");
        }
    }

    private static RedisURI parseUri(String value) {
        if (value == null || value.isBlank()) {
            throw new InvalidSettingException(REDIS_URI, value, "a Redis URI such as redis://127.0.0.1:6379/0 is required");
        }
        String uri = value.trim();
        String scheme = uri.contains("://") ? uri.substring(0, uri.indexOf("://")).toLowerCase(Locale.ROOT) : "";
        if (!scheme.equals("redis") && !scheme.equals("rediss") && !scheme.equals("redis-socket")
                && !scheme.equals("redis-sentinel") && !scheme.equals("rediss-sentinel")) {
            throw new InvalidSettingException(REDIS_URI, masked(uri),
                    "the scheme must be redis://, rediss:// (TLS), redis-socket://, redis-sentinel:// or "
                            + "redis-cluster://");
        }
        try {
            RedisURI parsed = RedisURI.create(uri);
            if (!scheme.startsWith("redis-s") && !scheme.equals("redis-socket")
                    && (parsed.getHost() == null || parsed.getHost().isBlank())) {
                throw new IllegalArgumentException("no host");
            }
            return parsed;
        } catch (RuntimeException e) {
            throw new InvalidSettingException(REDIS_URI, masked(uri), "not a Redis URI (" + e.getMessage() + ")");
        }
    }

    /** The URI with any password replaced by asterisks: the only form in which a URI may be logged. */
    public static String masked(String uri) {
        if (uri == null) {
            return null;
        }
        int scheme = uri.indexOf("://");
        int at = uri.lastIndexOf('@');
        if (scheme < 0 || at < scheme) {
            return uri.replaceAll("(?i)(password=)[^&]*", "$1***");
        }
        String userInfo = uri.substring(scheme + 3, at);
        int colon = userInfo.indexOf(':');
        String user = colon < 0 ? "" : userInfo.substring(0, colon);
        String hidden = user.isEmpty() ? "***" : user + ":***";
        return uri.substring(0, scheme + 3) + hidden + uri.substring(at);
    }

    public RedisURI redisUri() {
        return redisUri;
    }

    /** True for {@code redis-cluster://}: cachesync talks to a Redis Cluster through these seeds. */
    public boolean cluster() {
        return !clusterSeeds.isEmpty();
    }

    /** The seed nodes of a {@code redis-cluster://} URI (empty otherwise); {@link #redisUri()} is the first. */
    public java.util.List<RedisURI> clusterSeeds() {
        return clusterSeeds;
    }

    public String keyPrefix() {
        return keyPrefix;
    }

    public Duration redisTimeout() {
        return redisTimeout;
    }

    public Duration tombstoneTtl() {
        return tombstoneTtl;
    }

    /** Zero means snapshots do not expire. */
    public Duration snapshotTtl() {
        return snapshotTtl;
    }

    public PushMode pushMode() {
        return pushMode;
    }

    public boolean localEnabled() {
        return localEnabled;
    }

    public long localMaximumSize() {
        return localMaximumSize;
    }

    public Duration localExpireAfterWrite() {
        return localExpireAfterWrite;
    }

    public int repairMaxPending() {
        return repairMaxPending;
    }

    public Duration repairMaxBackoff() {
        return repairMaxBackoff;
    }

    /** Consecutive calls without an answer from Redis after which calls fail fast (the circuit opens). */
    public int breakerFailures() {
        return breakerFailures;
    }

    /** While the circuit is open, how often a PING checks whether Redis answers again. */
    public Duration breakerProbeInterval() {
        return breakerProbeInterval;
    }

    /**
     * PEM file of the certificate authorities trusted for {@code rediss://}, or null for the JVM's default trust
     * store.
     */
    public java.nio.file.Path tlsCaFile() {
        return tlsCaFile;
    }

    /**
     * How long a distributed lock stays held without a renewal: the watchdog renews it every third of this while
     * the holder is alive; after the holder dies, Redis frees it once this has passed.
     */
    public Duration lockLease() {
        return lockLease;
    }

    /** How long a blocking {@code lock(...)} waits for a lock held elsewhere before it throws. Zero: try once. */
    public Duration lockWait() {
        return lockWait;
    }

    /** Cache warming by access pattern ({@code cachesync.warm.*}). */
    public Warming warming() {
        return warming;
    }

    /**
     * The {@code cachesync.warm.*} settings.
     *
     * @param enabled         track hot keys, publish them to Redis, and warm the local tier on start and after a clear
     * @param topK            keys loaded by a warm-up, and published per node
     * @param sampleOneIn     one read in this many is recorded in the hot-key table
     * @param publishInterval how often a node adds its hot keys to the shared set (and halves its own counts)
     * @param halfLife        how fast the shared set forgets: every score halves over this time
     * @param startupWait     how long the bootstrap waits for the first warm-up (zero: not at all)
     */
    public record Warming(boolean enabled, int topK, int sampleOneIn, Duration publishInterval, Duration halfLife,
                          Duration startupWait) {
    }

    /** The Redis URI fit for a log line: any password masked. */
    public String redisUriForLogs() {
        return cluster() ? "Redis Cluster " + clusterSeeds.stream().map(u -> u.getHost() + ":" + u.getPort())
                .collect(java.util.stream.Collectors.joining(",", "(seeds ", ")")) : masked(redisUri.toString());
    }

    /** Builds settings in code; every value has the default documented in the README. */
    public static final class Builder {
        private final RedisURI redisUri;
        private java.util.List<RedisURI> clusterSeeds = java.util.List.of();
        private String keyPrefix = RedisKeys.DEFAULT_PREFIX;
        private Duration redisTimeout = Duration.ofMillis(200);
        private Duration tombstoneTtl = Duration.ofHours(1);
        private Duration snapshotTtl = Duration.ZERO;
        private PushMode pushMode = PushMode.SYNC;
        private boolean localEnabled = true;
        private long localMaximumSize = 10_000;
        private Duration localExpireAfterWrite = Duration.ofMinutes(10);
        private int repairMaxPending = 100_000;
        private Duration repairMaxBackoff = Duration.ofSeconds(5);
        private int breakerFailures = 5;
        private Duration breakerProbeInterval = Duration.ofMillis(500);
        private java.nio.file.Path tlsCaFile;
        private Duration lockLease;
        private Duration lockWait = Duration.ofSeconds(10);
        private boolean warmEnabled = false;
        private int warmTopK = 1_000;
        private int warmSampleOneIn = 16;
        private Duration warmPublishInterval = Duration.ofSeconds(30);
        private Duration warmHalfLife = Duration.ofHours(1);
        private Duration warmStartupWait = Duration.ofSeconds(2);

        private Builder(RedisURI redisUri) {
            this.redisUri = redisUri;
        }

        public Builder keyPrefix(String keyPrefix) {
            this.keyPrefix = RedisKeys.checkPrefix(keyPrefix);
            return this;
        }

        public Builder redisTimeout(Duration redisTimeout) {
            this.redisTimeout = positive(REDIS_TIMEOUT, redisTimeout);
            return this;
        }

        public Builder tombstoneTtl(Duration tombstoneTtl) {
            this.tombstoneTtl = positive(TOMBSTONE_TTL, tombstoneTtl);
            return this;
        }

        public Builder snapshotTtl(Duration snapshotTtl) {
            if (snapshotTtl.isNegative()) {
                throw new InvalidSettingException(SNAPSHOT_TTL, snapshotTtl, "must not be negative");
            }
            this.snapshotTtl = snapshotTtl;
            return this;
        }

        public Builder pushMode(PushMode pushMode) {
            this.pushMode = Objects.requireNonNull(pushMode, PUSH_MODE);
            return this;
        }

        public Builder localEnabled(boolean localEnabled) {
            this.localEnabled = localEnabled;
            return this;
        }

        public Builder localMaximumSize(long localMaximumSize) {
            if (localMaximumSize < 1) {
                throw new InvalidSettingException(LOCAL_MAXIMUM_SIZE, localMaximumSize, "must be at least 1");
            }
            this.localMaximumSize = localMaximumSize;
            return this;
        }

        public Builder localExpireAfterWrite(Duration localExpireAfterWrite) {
            this.localExpireAfterWrite = positive(LOCAL_EXPIRE_AFTER_WRITE, localExpireAfterWrite);
            return this;
        }

        public Builder repairMaxPending(int repairMaxPending) {
            if (repairMaxPending < 1) {
                throw new InvalidSettingException(REPAIR_MAX_PENDING, repairMaxPending, "must be at least 1");
            }
            this.repairMaxPending = repairMaxPending;
            return this;
        }

        public Builder repairMaxBackoff(Duration repairMaxBackoff) {
            this.repairMaxBackoff = positive(REPAIR_MAX_BACKOFF, repairMaxBackoff);
            return this;
        }

        public Builder breakerFailures(int breakerFailures) {
            if (breakerFailures < 1) {
                throw new InvalidSettingException(BREAKER_FAILURES, breakerFailures, "must be at least 1");
            }
            this.breakerFailures = breakerFailures;
            return this;
        }

        public Builder breakerProbeInterval(Duration breakerProbeInterval) {
            this.breakerProbeInterval = positive(BREAKER_PROBE_INTERVAL, breakerProbeInterval);
            return this;
        }

        /** A PEM file of trusted certificate authorities for {@code rediss://}; it must be a readable file. */
        public Builder tlsCaFile(java.nio.file.Path tlsCaFile) {
            if (tlsCaFile == null || !java.nio.file.Files.isRegularFile(tlsCaFile)
                    || !java.nio.file.Files.isReadable(tlsCaFile)) {
                throw new InvalidSettingException(TLS_CA_FILE, tlsCaFile, "not a readable file");
            }
            this.tlsCaFile = tlsCaFile;
            return this;
        }

        /**
         * At least three Redis timeouts, so that a renewal at two thirds of the lease can finish before it ends.
         * Unset: 30 s, or three Redis timeouts if that is longer.
         */
        public Builder lockLease(Duration lockLease) {
            this.lockLease = positive(LOCK_LEASE, lockLease);
            return this;
        }

        public Builder lockWait(Duration lockWait) {
            if (lockWait == null || lockWait.isNegative()) {
                throw new InvalidSettingException(LOCK_WAIT, lockWait, "must not be negative");
            }
            this.lockWait = lockWait;
            return this;
        }

        public Builder warmEnabled(boolean warmEnabled) {
            this.warmEnabled = warmEnabled;
            return this;
        }

        public Builder warmTopK(int warmTopK) {
            if (warmTopK < 1 || warmTopK > 1_000_000) {
                throw new InvalidSettingException(WARM_TOP_K, warmTopK, "must be between 1 and 1000000");
            }
            this.warmTopK = warmTopK;
            return this;
        }

        public Builder warmSampleOneIn(int warmSampleOneIn) {
            if (warmSampleOneIn < 1 || warmSampleOneIn > 1_000_000) {
                throw new InvalidSettingException(WARM_SAMPLE_ONE_IN, warmSampleOneIn, "must be between 1 and 1000000");
            }
            this.warmSampleOneIn = warmSampleOneIn;
            return this;
        }

        public Builder warmPublishInterval(Duration warmPublishInterval) {
            this.warmPublishInterval = positive(WARM_PUBLISH_INTERVAL, warmPublishInterval);
            return this;
        }

        public Builder warmHalfLife(Duration warmHalfLife) {
            this.warmHalfLife = positive(WARM_HALF_LIFE, warmHalfLife);
            return this;
        }

        public Builder warmStartupWait(Duration warmStartupWait) {
            if (warmStartupWait == null || warmStartupWait.isNegative()) {
                throw new InvalidSettingException(WARM_STARTUP_WAIT, warmStartupWait, "must not be negative");
            }
            this.warmStartupWait = warmStartupWait;
            return this;
        }

        public CacheSyncSettings build() {
            Duration threeTimeouts = redisTimeout.multipliedBy(3);
            if (lockLease == null) {
                Duration lease = threeTimeouts.compareTo(Duration.ofSeconds(30)) > 0 ? threeTimeouts
                        : Duration.ofSeconds(30);
                return new CacheSyncSettings(this, lease);
            }
            if (lockLease.compareTo(threeTimeouts) < 0) {
                throw new InvalidSettingException(LOCK_LEASE, lockLease.toMillis() + "ms", "must be at least 3 x "
                        + REDIS_TIMEOUT + " (" + redisTimeout.multipliedBy(3).toMillis() + "ms), so that a renewal "
                        + "can finish before the lease runs out");
            }
            return new CacheSyncSettings(this, lockLease);
        }

        private static Duration positive(String key, Duration d) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new InvalidSettingException(key, d, "must be positive");
            }
            return d;
        }
    }
}
