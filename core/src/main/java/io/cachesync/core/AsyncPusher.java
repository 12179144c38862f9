package io.cachesync.core;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The push of {@link CacheSyncSettings.PushMode#ASYNC} mode: the committing thread only queues its transaction's
 * writes; one background thread sends everything queued in one pipelined round trip, waits for the answers, and
 * sends the next batch. So while Redis works on one batch the next collects, and the committing thread neither
 * encodes, nor touches Netty, nor wakes another thread except after an idle spell.
 *
 * <p>Nothing queued is lost: a full queue makes the committing thread send its writes itself (the old, unbatched
 * way); {@link #close} sends what is left before it returns; every outcome goes to the same handler as a
 * synchronous push (which queues failures for repair). Writes are sent in the order they were queued, on one
 * connection, so Redis sees a key's versions in commit order.
 */
final class AsyncPusher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AsyncPusher.class);

    /** Commits further apart than this let the thread sleep until the next commit wakes it. */
    private static final long IDLE_AFTER_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final int MAX_BATCH = 1_000;

    private record Queued(List<SnapshotWrite> writes, CompletableFuture<Void> done) {
    }

    private final ConcurrentLinkedQueue<Queued> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queuedWrites = new AtomicInteger();
    private final int maxQueued;
    private final long tickNanos;
    private final long waitMillis;
    private final Sender sender;
    private final Thread thread;
    private volatile boolean sleeping;
    private volatile boolean stopping;

    /** Sends writes and returns a future completed once every outcome is handled (never exceptionally). */
    interface Sender {
        CompletableFuture<Void> send(List<SnapshotWrite> writes);
    }

    AsyncPusher(String threadName, int maxQueued, long tickNanos, long waitMillis, Sender sender) {
        this.maxQueued = maxQueued;
        this.tickNanos = tickNanos;
        this.waitMillis = waitMillis;
        this.sender = sender;
        this.thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Queues one transaction's writes, or, if the queue is full or closed, sends them on the calling thread.
     *
     * @return completed once every write's outcome is handled
     */
    CompletableFuture<Void> push(List<SnapshotWrite> writes) {
        if (stopping || queuedWrites.get() >= maxQueued) {
            return sender.send(writes);
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        queuedWrites.addAndGet(writes.size());
        queue.offer(new Queued(writes, done));
        if (sleeping) {
            sleeping = false;
            LockSupport.unpark(thread);
        }
        if (stopping) {
            // close() may have drained the queue before our offer: make sure these writes are sent
            drainAndSend();
        }
        return done;
    }

    /** Writes queued or in flight: not yet answered by Redis (nor given up on after the timeout). */
    int backlog() {
        return queuedWrites.get();
    }

    private void run() {
        long lastWork = System.nanoTime();
        while (!stopping) {
            if (drainAndSend()) {
                lastWork = System.nanoTime();
            } else if (System.nanoTime() - lastWork > IDLE_AFTER_NANOS) {
                sleeping = true;
                if (queue.isEmpty() && !stopping) {
                    LockSupport.park(this);
                }
                sleeping = false;
            } else {
                // Busy: a short sleep lets commits collect into one round trip, without a wake-up per commit.
                LockSupport.parkNanos(this, tickNanos);
            }
        }
        drainAndSend();
    }

    /** Sends what is queued, batch after batch, each awaited at most the wait; true if any was sent. */
    private synchronized boolean drainAndSend() {
        if (queue.isEmpty()) {
            return false; // the busy tick finds nothing most of the time: allocate nothing then
        }
        boolean sent = false;
        List<SnapshotWrite> batch = new ArrayList<>();
        List<CompletableFuture<Void>> waiting = new ArrayList<>();
        Queued next;
        while (true) {
            while (batch.size() < MAX_BATCH && (next = queue.poll()) != null) {
                batch.addAll(next.writes());
                waiting.add(next.done());
            }
            if (batch.isEmpty()) {
                return sent;
            }
            sendAndWait(batch, waiting);
            queuedWrites.addAndGet(-batch.size());
            sent = true;
            batch.clear();
            waiting.clear();
        }
    }

    private void sendAndWait(List<SnapshotWrite> batch, List<CompletableFuture<Void>> waiting) {
        CompletableFuture<Void> handled = sendSafely(batch);
        // One batch in flight at a time: its answers pace the next batch.
        try {
            handled.get(waitMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.debug("cachesync async push of {} writes did not finish in time: {}", batch.size(), e.toString());
        }
        List<CompletableFuture<Void>> transactions = List.copyOf(waiting);
        handled.whenComplete((ignored, failure) -> transactions.forEach(done -> done.complete(null)));
    }

    private CompletableFuture<Void> sendSafely(List<SnapshotWrite> batch) {
        try {
            return sender.send(List.copyOf(batch));
        } catch (RuntimeException e) {
            // the sender queues its failures itself: this is a bug, and must not stop the push thread
            log.error("cachesync async push of {} writes failed unexpectedly", batch.size(), e);
            return CompletableFuture.completedFuture(null);
        }
    }

    /** Sends what is queued (waiting a bounded time per batch), then stops the thread. */
    @Override
    public void close() {
        stopping = true;
        LockSupport.unpark(thread);
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        drainAndSend();
    }
}
