package io.cachesync.benchmarks;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Reading one account by id, every subject on the same entity and the same {@value Nodes#ROWS} rows, every read a
 * hit of the tier under test. Each subject runs in its own fork with its own H2 database and its own Redis.
 *
 * <ul>
 *   <li>{@code CAFFEINE_GET_IF_PRESENT}: the floor of a local-tier hit, a raw Caffeine {@code getIfPresent}.</li>
 *   <li>{@code CACHESYNC_LOCAL_HIT}: {@code CacheSync.find}, served by the local tier.</li>
 *   <li>{@code HIBERNATE_JCACHE}: {@code session.find} in a new session, served by Hibernate's second-level cache
 *   on JCache/Caffeine.</li>
 *   <li>{@code LETTUCE_GET}: the floor of a Redis hit, a raw Lettuce {@code GET} of the bytes cachesync stored.</li>
 *   <li>{@code CACHESYNC_REDIS_HIT}: {@code CacheSync.find} with the local tier disabled, served by Redis.</li>
 *   <li>{@code HIBERNATE_REDISSON}: {@code session.find} in a new session, served by Redisson's region
 *   factory.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode({Mode.SampleTime, Mode.AverageTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class FindBenchmark {

    public enum Subject {
        CAFFEINE_GET_IF_PRESENT, CACHESYNC_LOCAL_HIT, HIBERNATE_JCACHE,
        LETTUCE_GET, CACHESYNC_REDIS_HIT, HIBERNATE_REDISSON
    }

    @Param
    public Subject subject;

    private Finder finder;

    @Setup(Level.Trial)
    public void setUp() {
        finder = Finders.open(subject);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        finder.close();
    }

    @Benchmark
    public Object find(Ids ids) {
        return finder.find(ids.next());
    }
}
