package io.cachesync.core;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

class WarnThrottleTest {

    @Test
    void letsOneThroughPerIntervalAndCountsTheRest() throws InterruptedException {
        WarnThrottle throttle = new WarnThrottle(200, TimeUnit.MILLISECONDS);
        assertEquals(0, throttle.letThrough());
        for (int i = 0; i < 5; i++) {
            assertEquals(-1, throttle.letThrough());
        }
        Thread.sleep(250);
        assertEquals(5, throttle.letThrough(), "the next one through says how many were held back");
        assertEquals(-1, throttle.letThrough());
    }
}
