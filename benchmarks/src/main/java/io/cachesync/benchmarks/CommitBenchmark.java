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
 * Committing one updated account: new session, begin, {@code find}, change the balance, commit, close. Threads
 * update disjoint rows, so no optimistic-lock failure can occur.
 *
 * <ul>
 *   <li>{@code HIBERNATE}: plain Hibernate, no cache at all.</li>
 *   <li>{@code HIBERNATE_PLUS_LETTUCE_ROUND_TRIP}: the same, then one raw Lettuce {@code SET} of a snapshot's bytes:
 *   the floor of a synchronous push.</li>
 *   <li>{@code CACHESYNC_SYNC}: cachesync on, default push mode (the commit waits for Redis).</li>
 *   <li>{@code CACHESYNC_ASYNC}: cachesync on, {@code cachesync.push.mode=async}.</li>
 *   <li>{@code HIBERNATE_REDISSON}: Hibernate's second-level cache on Redisson's region factory, READ_WRITE.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
// A commit runs far more code than a find (Hibernate's flush, the listeners, Lettuce, the push thread): 3 x 1 s of
// warm-up left the cachesync subjects still compiling, their iteration means falling from 1,800 to 150 us; 10 x 2 s
// reaches the plateau.
@Warmup(iterations = 10, time = 2)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class CommitBenchmark {

    public enum Subject {
        HIBERNATE, HIBERNATE_PLUS_LETTUCE_ROUND_TRIP, CACHESYNC_SYNC, CACHESYNC_ASYNC, HIBERNATE_REDISSON
    }

    @Param
    public Subject subject;

    private Committer committer;

    @Setup(Level.Trial)
    public void setUp() {
        committer = Committers.open(subject);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        committer.close();
    }

    @Benchmark
    public void commit(Ids ids) {
        committer.commitOneUpdate(ids.next());
    }
}
