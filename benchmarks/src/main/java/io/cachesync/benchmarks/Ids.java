package io.cachesync.benchmarks;

import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.ThreadParams;

import java.util.SplittableRandom;

/**
 * The ids one benchmark thread walks through: a fixed pseudo-random sequence of boxed ids (boxed once, here, so
 * that no subject pays for boxing), uniform over the rows. Threads get disjoint ids ({@code id % threads ==
 * index}), so two committing threads never update the same row.
 */
@State(Scope.Thread)
public class Ids {

    private static final int SIZE = 1 << 16;
    private static final int MASK = SIZE - 1;

    private Long[] ids;
    private int next;

    @Setup
    public void setUp(ThreadParams thread) {
        int threads = thread.getThreadCount();
        int index = thread.getThreadIndex();
        SplittableRandom random = new SplittableRandom(42 + index);
        int owned = (Nodes.ROWS - index + threads - 1) / threads;
        ids = new Long[SIZE];
        for (int i = 0; i < SIZE; i++) {
            long id = 1 + index + (long) random.nextInt(owned) * threads;
            ids[i] = id;
        }
    }

    /** The next id of this thread's sequence. */
    public Long next() {
        return ids[next++ & MASK];
    }
}
