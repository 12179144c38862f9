package io.cachesync.hibernate;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A test hook (for the post-commit and read-path hooks) that holds the first thread to run it until the test
 * releases it; later runs pass straight through. Replay tests use it to stop one step of an interleaving exactly
 * where they want it.
 */
final class HeldOnce implements Runnable {

    private final AtomicBoolean armed = new AtomicBoolean(true);
    private final CountDownLatch held = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);

    @Override
    public void run() {
        if (armed.getAndSet(false)) {
            held.countDown();
            await(released);
        }
    }

    /** Waits until a thread is held here; {@code what} names the step in the failure message. */
    void awaitHeld(String what) throws InterruptedException {
        assertTrue(held.await(10, TimeUnit.SECONDS), what);
    }

    void release() {
        released.countDown();
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(20, TimeUnit.SECONDS)) {
                throw new IllegalStateException("a held step was never released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
