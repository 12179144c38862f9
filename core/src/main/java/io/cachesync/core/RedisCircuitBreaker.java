package io.cachesync.core;

import io.lettuce.core.RedisCommandExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Stops callers from waiting on a Redis that does not answer.
 *
 * <p>After {@code failureThreshold} consecutive calls that got no answer (timeouts, broken connections) the
 * circuit opens: commits queue their keys for repair and reads go to the database at once, without sending
 * anything to Redis. While open, one {@code PING} is sent every {@code probeInterval} from the background; the
 * first one Redis answers closes the circuit, and the repair queue is retried at once. An error reply from Redis
 * (NOSCRIPT, WRONGTYPE, NOPERM...) counts as an answer: Redis is there, so waiting on it is not the problem.
 *
 * <p>Why it exists: a disconnected Lettuce connection already rejects commands at once, but a Redis that is
 * paused, overloaded or behind a black-holed network keeps its connection open and makes every call wait the
 * full timeout; without the breaker, every commit would pay it.
 *
 * <p>The hot path is one volatile read ({@link #allows()}) and, on success, one more read; no lock and no
 * allocation. Thread-safe.
 */
final class RedisCircuitBreaker {

    private static final Logger log = LoggerFactory.getLogger(RedisCircuitBreaker.class);

    private final int failureThreshold;
    private final long probeIntervalMillis;
    private final ScheduledExecutorService scheduler;
    private final Supplier<CompletionStage<?>> probe;
    private final Runnable onClosed;
    private final String redisForLogs;
    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    private final AtomicBoolean open = new AtomicBoolean();
    final LongAdder openings = new LongAdder();
    final LongAdder rejected = new LongAdder();
    private volatile long openedAtNanos;
    private volatile boolean closed;

    /**
     * @param probe    sends one cheap command to Redis (a PING); its stage completes when Redis answers
     * @param onClosed runs (on the probing thread) each time the circuit closes again
     */
    RedisCircuitBreaker(int failureThreshold, long probeIntervalMillis, ScheduledExecutorService scheduler,
                        Supplier<CompletionStage<?>> probe, Runnable onClosed, String redisForLogs) {
        this.failureThreshold = failureThreshold;
        this.probeIntervalMillis = probeIntervalMillis;
        this.scheduler = scheduler;
        this.probe = probe;
        this.onClosed = onClosed;
        this.redisForLogs = redisForLogs;
    }

    /** False while the circuit is open: the caller must not send anything to Redis and must fail fast. */
    boolean allows() {
        return !open.get();
    }

    /** True while the circuit is open. */
    boolean isOpen() {
        return open.get();
    }

    /** Counts one call that was not sent because the circuit was open. */
    void rejectedOne() {
        rejected.increment();
    }

    /** Records the outcome of one call to Redis: {@code failure} null when Redis answered. */
    void record(Throwable failure) {
        if (failure == null || answered(failure)) {
            // read before writing, so that a healthy hot path never dirties the shared cache line
            if (consecutiveFailures.get() != 0) {
                consecutiveFailures.set(0);
            }
            return;
        }
        if (consecutiveFailures.incrementAndGet() >= failureThreshold && open.compareAndSet(false, true)) {
            openedAtNanos = System.nanoTime();
            openings.increment();
            log.warn("cachesync stopped waiting on Redis at {}: {} calls in a row got no answer (last: {}); commits "
                            + "queue their keys and reads go to the database until Redis answers a probe (every {} ms)",
                    redisForLogs, failureThreshold, RedisSnapshotStore.unwrap(failure).getClass().getSimpleName(),
                    probeIntervalMillis);
            scheduleProbe();
        }
    }

    /** Redis replied with an error: it is alive and answering, which is all the breaker is about. */
    private static boolean answered(Throwable failure) {
        return RedisSnapshotStore.unwrap(failure) instanceof RedisCommandExecutionException;
    }

    private void scheduleProbe() {
        if (closed) {
            return;
        }
        try {
            scheduler.schedule(this::probeOnce, probeIntervalMillis, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // the cache is closing: nothing left to probe for
        }
    }

    private void probeOnce() {
        if (closed || !open.get()) {
            return;
        }
        CompletionStage<?> answer;
        try {
            answer = probe.get();
        } catch (RuntimeException e) {
            scheduleProbe();
            return;
        }
        answer.whenComplete((reply, failure) -> {
            if (failure == null || answered(failure)) {
                closeCircuit();
            } else {
                scheduleProbe();
            }
        });
    }

    private void closeCircuit() {
        consecutiveFailures.set(0);
        if (open.compareAndSet(true, false)) {
            log.info("cachesync Redis at {} answers again after {} ms; {} calls failed fast meanwhile; retrying the "
                    + "queued keys", redisForLogs, (System.nanoTime() - openedAtNanos) / 1_000_000, rejected.sum());
            onClosed.run();
        }
    }

    /** Probes at once if the circuit is open (e.g. the connection was just re-established). */
    void probeNow() {
        if (open.get() && !closed) {
            try {
                scheduler.execute(this::probeOnce);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // the cache is closing
            }
        }
    }

    /** Stops probing. */
    void close() {
        closed = true;
    }
}
