package io.cachesync.core;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.Objects;

/** Compares snapshot states the way a database does: numbers by value, arrays by content. */
final class StateEquality {

    private StateEquality() {
    }

    static boolean valueEqual(Object x, Object y) {
        if (x instanceof BigDecimal bx && y instanceof BigDecimal by) {
            return bx.compareTo(by) == 0; // 10.0 and 10.00 are the same amount
        }
        if (x instanceof byte[] bx && y instanceof byte[] by) {
            return Arrays.equals(bx, by);
        }
        return Objects.equals(x, y);
    }
}
