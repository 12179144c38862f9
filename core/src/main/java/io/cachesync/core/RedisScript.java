package io.cachesync.core;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;

/**
 * A Lua script as cachesync sends it: by its SHA-1 ({@code EVALSHA}), and in full ({@code EVAL}) only when Redis
 * does not know it (a restart, a {@code SCRIPT FLUSH}, another cluster node), which also loads it for next time.
 */
record RedisScript(byte[] bytes, String sha1) {

    RedisScript(String source) {
        this(source.getBytes(StandardCharsets.UTF_8));
    }

    private RedisScript(byte[] bytes) {
        this(bytes, sha1(bytes));
    }

    /** Runs the script; the future fails with the cause itself, not Lettuce's wrapper of it. */
    <T> CompletableFuture<T> run(RedisScriptingAsyncCommands<String, byte[]> redis, ScriptOutputType type,
                                 String[] keys, byte[]... args) {
        return redis.<T>evalsha(sha1, type, keys, args)
                .exceptionallyCompose(e -> RedisSnapshotStore.unwrap(e) instanceof RedisNoScriptException
                        ? redis.<T>eval(bytes, type, keys, args)
                        : CompletableFuture.failedFuture(RedisSnapshotStore.unwrap(e)))
                .toCompletableFuture();
    }

    private static String sha1(byte[] source) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(source));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required of every Java runtime", e);
        }
    }
}
