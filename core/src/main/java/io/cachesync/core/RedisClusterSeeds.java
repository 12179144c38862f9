package io.cachesync.core;

import io.lettuce.core.RedisURI;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads {@code redis-cluster://[user:password@]host1:port1,host2:port2[?options]} ({@code rediss-cluster://} for
 * TLS) into one Lettuce {@link RedisURI} per seed node. Seeds are only where the client starts: it learns the
 * whole topology (every master and replica) from the first seed that answers. A cluster has one database, so a
 * database other than 0 is refused. Credentials and options apply to every seed.
 */
final class RedisClusterSeeds {

    static final String SCHEME = "redis-cluster";
    static final String TLS_SCHEME = "rediss-cluster";

    private RedisClusterSeeds() {
    }

    /** True when the (lower-cased) scheme names a cluster. */
    static boolean isClusterScheme(String scheme) {
        return SCHEME.equals(scheme) || TLS_SCHEME.equals(scheme);
    }

    /** The seeds of a cluster URI; throws {@link IllegalArgumentException} saying what is wrong. */
    static List<RedisURI> parse(String uri) {
        int schemeEnd = uri.indexOf("://");
        String scheme = uri.substring(0, schemeEnd).toLowerCase(Locale.ROOT);
        String rest = uri.substring(schemeEnd + 3);
        String query = "";
        int q = rest.indexOf('?');
        if (q >= 0) {
            query = rest.substring(q);
            rest = rest.substring(0, q);
        }
        int slash = rest.indexOf('/');
        if (slash >= 0) {
            String database = rest.substring(slash + 1);
            if (!database.isEmpty() && !database.equals("0")) {
                throw new IllegalArgumentException("Redis Cluster has only database 0, not " + database);
            }
            rest = rest.substring(0, slash);
        }
        String userInfo = "";
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            userInfo = rest.substring(0, at + 1);
            rest = rest.substring(at + 1);
        }
        if (rest.isBlank()) {
            throw new IllegalArgumentException("no seed host:port");
        }
        String nodeScheme = scheme.equals(TLS_SCHEME) ? "rediss" : "redis";
        List<RedisURI> seeds = new ArrayList<>();
        for (String hostPort : rest.split(",")) {
            String seed = hostPort.trim();
            int colon = seed.lastIndexOf(':');
            if (seed.isEmpty() || colon <= 0 || colon == seed.length() - 1 || seed.endsWith("]")) {
                throw new IllegalArgumentException("seed '" + seed + "' is not host:port");
            }
            int port;
            try {
                port = Integer.parseInt(seed.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("seed '" + seed + "' has no numeric port");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("seed '" + seed + "' has a port outside 1..65535");
            }
            RedisURI parsed = RedisURI.create(nodeScheme + "://" + userInfo + seed + query);
            if (parsed.getHost() == null || parsed.getHost().isBlank()) {
                throw new IllegalArgumentException("seed '" + seed + "' has no host");
            }
            seeds.add(parsed);
        }
        return List.copyOf(seeds);
    }
}
