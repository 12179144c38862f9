package io.cachesync.core;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The batching of async push mode, on its own: what the committing threads queue reaches the sender exactly once,
 * each thread's writes in the order it queued them, many per batch while the sender is slow; a full queue makes
 * the committing thread send its own writes; close sends what is left, and a push after close is sent at once.
 * (The sender here records batches instead of calling Redis: the tests with Redis are in the hibernate module.)
 */
class AsyncPusherBatchesInOrderAndLosesNothingTest {

    /** Records every batch, and takes {@code delayMillis} per batch, as a slow Redis would. */
    private static final class RecordingSender implements AsyncPusher.Sender {
        final List<List<SnapshotWrite>> batches = new CopyOnWriteArrayList<>();
        final List<String> threads = new CopyOnWriteArrayList<>();
        volatile long delayMillis;
        volatile CountDownLatch gate = new CountDownLatch(0);

        @Override
        public CompletableFuture<Void> send(List<SnapshotWrite> writes) {
            batches.add(writes);
            threads.add(Thread.currentThread().getName());
            try {
                gate.await();
                TimeUnit.MILLISECONDS.sleep(delayMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return CompletableFuture.completedFuture(null);
        }

        List<SnapshotWrite> all() {
            List<SnapshotWrite> all = new ArrayList<>();
            batches.forEach(all::addAll);
            return all;
        }
    }

    private static SnapshotWrite write(long thread, long sequence) {
        return SnapshotWrite.newer(TestSchemas.account(thread, sequence, "t" + thread));
    }

    @Test
    void everyWriteArrivesOnceInEachThreadsOrderManyPerBatch() throws Exception {
        RecordingSender sender = new RecordingSender();
        sender.delayMillis = 2;
        int threads = 4;
        int perThread = 2_000;
        AsyncPusher pusher = new AsyncPusher("test-push", 1_000_000, TimeUnit.MICROSECONDS.toNanos(200), 5_000,
                sender);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> tasks = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            long thread = t;
            tasks.add(pool.submit(() -> {
                for (long i = 0; i < perThread; i++) {
                    pusher.push(List.of(write(thread, i)));
                }
            }));
        }
        for (Future<?> task : tasks) {
            task.get(1, TimeUnit.MINUTES);
        }
        pool.shutdown();
        pusher.close();

        List<SnapshotWrite> all = sender.all();
        assertEquals(threads * perThread, all.size(), "every write sent exactly once");
        Map<Object, Long> lastVersion = new ConcurrentHashMap<>();
        for (SnapshotWrite w : all) {
            long previous = lastVersion.getOrDefault(w.snapshot().id(), -1L);
            assertEquals(previous + 1, w.snapshot().version(), "thread " + w.snapshot().id() + " out of order");
            lastVersion.put(w.snapshot().id(), w.snapshot().version());
        }
        assertEquals(0, pusher.backlog());
        assertTrue(sender.batches.size() < threads * perThread / 10,
                sender.batches.size() + " batches for " + threads * perThread + " writes: not batched");
        assertTrue(sender.threads.stream().allMatch("test-push"::equals), "only the push thread sends");
    }

    @Test
    void aFullQueueMakesTheCommittingThreadSendItsOwnWrites() throws Exception {
        RecordingSender sender = new RecordingSender();
        sender.gate = new CountDownLatch(1); // the push thread's first batch blocks until released
        AsyncPusher pusher = new AsyncPusher("test-push", 10, TimeUnit.MICROSECONDS.toNanos(200), 5_000, sender);
        try {
            pusher.push(List.of(write(0, 0)));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (sender.batches.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(1, sender.batches.size(), "the push thread took the first write");
            for (long i = 1; i <= 9; i++) {
                pusher.push(List.of(write(0, i))); // queued behind the blocked batch: the backlog reaches 10
            }
            assertEquals(10, pusher.backlog());
            Thread inline = new Thread(() -> pusher.push(List.of(write(1, 0))), "committer");
            inline.start();
            Thread.sleep(100);
            assertTrue(sender.threads.contains("committer"), "a full queue must send on the committing thread");
        } finally {
            sender.gate.countDown();
            pusher.close();
        }
        assertEquals(11, sender.all().size(), "nothing lost: " + sender.all());
    }

    @Test
    void closeSendsWhatIsQueuedAndAPushAfterCloseIsSentAtOnce() {
        RecordingSender sender = new RecordingSender();
        sender.delayMillis = 20;
        AsyncPusher pusher = new AsyncPusher("test-push", 1_000_000, TimeUnit.MICROSECONDS.toNanos(200), 5_000,
                sender);
        for (long i = 0; i < 500; i++) {
            pusher.push(List.of(write(0, i)));
        }
        pusher.close();
        assertEquals(500, sender.all().size());
        assertEquals(0, pusher.backlog());
        pusher.push(List.of(write(0, 500)));
        assertEquals(501, sender.all().size());
        assertEquals(Thread.currentThread().getName(), sender.threads.get(sender.threads.size() - 1));
    }
}
