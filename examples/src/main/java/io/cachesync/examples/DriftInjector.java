package io.cachesync.examples;

import io.cachesync.examples.model.Account;
import io.cachesync.hibernate.CacheSync;
import org.hibernate.SessionFactory;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/** Makes the cache drift the ways it does in production, for the demo and the reconcile command. */
final class DriftInjector {

    private DriftInjector() {
    }

    static void inject(SessionFactory sf, CacheSync sync) {
        sf.inTransaction(s -> s.createNativeMutationQuery(
                "update Account set balance = 0, version = version + 1 where id = 2").executeUpdate());
        RedisKeys redis = new RedisKeys(sync);
        redis.delete(Account.class, 3L);
        String template = redis.get(Account.class, 5L);
        redis.set(Account.class, 999_999L, resealed(template.replace("\"id\":\"5\"", "\"id\":\"999999\"")));
        redis.set(Account.class, 4L, template.substring(0, template.length() / 2));
    }

    /**
     * An edited snapshot with its checksum recomputed, as a writer that knows the format would leave it: a stray
     * but well-formed snapshot (an edit without it reads as corrupt, not as an orphan). The value ends with
     * {@code ,"crc":"<CRC-32C of everything before the comma, 8 hex digits>"}}.
     */
    private static String resealed(String snapshot) {
        String body = snapshot.substring(0, snapshot.lastIndexOf(",\"crc\":\""));
        CRC32C crc = new CRC32C();
        crc.update(body.getBytes(StandardCharsets.UTF_8));
        return body + ",\"crc\":\"" + String.format("%08x", crc.getValue()) + "\"}";
    }
}
