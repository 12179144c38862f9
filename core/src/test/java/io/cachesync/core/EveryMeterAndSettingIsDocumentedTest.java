package io.cachesync.core;

import io.cachesync.testsupport.RedisExtension;
import io.cachesync.testsupport.TestRedis;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's metrics table names every meter a cache registers (warming on, so that all of them exist), and its
 * settings table every {@code cachesync.*} key; every registered meter is one of {@link CacheSyncMetrics}' names.
 */
@ExtendWith(RedisExtension.class)
class EveryMeterAndSettingIsDocumentedTest {

    private static String readme() throws Exception {
        Path readme = Path.of("..", "README.md");
        assertTrue(Files.exists(readme), "run from the module directory: " + readme.toAbsolutePath());
        return Files.readString(readme);
    }

    private static List<String> constants(Class<?> type, String startingWith) throws IllegalAccessException {
        List<String> names = new ArrayList<>();
        for (Field field : type.getFields()) {
            if (field.getType() == String.class && Modifier.isStatic(field.getModifiers())) {
                String value = (String) field.get(null);
                if (value.startsWith(startingWith)) {
                    names.add(value);
                }
            }
        }
        return names;
    }

    @Test
    void everyMeterIsNamedInOnePlaceAndDocumented(TestRedis redis) throws Exception {
        String readme = readme();
        List<String> names = constants(CacheSyncMetrics.class, "cachesync.");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        CacheSyncSettings settings = CacheSyncSettings.builder(redis.uri()).warmEnabled(true).build();
        TreeSet<String> registered = new TreeSet<>();
        try (SnapshotCache cache = new SnapshotCache(settings, registry)) {
            for (Meter meter : registry.getMeters()) {
                registered.add(meter.getId().getName());
            }
        }
        // the consistency monitor registers its own meters (cachesync.monitor.*) when the Hibernate side starts it
        TreeSet<String> cacheNames = new TreeSet<>(names);
        cacheNames.removeIf(name -> name.startsWith("cachesync.monitor."));
        assertEquals(cacheNames, registered, "registered meters and CacheSyncMetrics' names");
        assertTrue(registry.getMeters().isEmpty(), "a closed cache leaves no meter behind");
        for (String name : names) {
            assertTrue(readme.contains("| `" + name + "` |"), "the README's metrics table lacks " + name);
        }
    }

    @Test
    void everySettingIsDocumented() throws Exception {
        String readme = readme();
        List<String> keys = new ArrayList<>(constants(CacheSyncSettings.class, "cachesync."));
        keys.addAll(constants(io.cachesync.core.monitor.MonitorSettings.class, "cachesync."));
        for (String key : keys) {
            assertTrue(readme.contains("| `" + key + "` |"), "the README's settings table lacks " + key);
        }
    }
}
