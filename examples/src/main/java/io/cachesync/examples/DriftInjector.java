package io.cachesync.examples;

import io.cachesync.examples.model.Account;
import io.cachesync.hibernate.CacheSync;
import org.hibernate.SessionFactory;

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
        redis.set(Account.class, 999_999L, template.replace("\"id\":\"5\"", "\"id\":\"999999\""));
        redis.set(Account.class, 4L, template.substring(0, template.length() / 2));
    }
}
