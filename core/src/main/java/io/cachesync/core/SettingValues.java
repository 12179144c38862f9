package io.cachesync.core;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * How cachesync reads one setting's value, shared by {@link CacheSyncSettings} and the consistency monitor's
 * settings so that every key accepts the same forms and fails the same way: with an
 * {@link InvalidSettingException} naming the key and the value. Not meant for applications.
 */
public final class SettingValues {

    private SettingValues() {
    }

    /** The value of {@code key} as text, or null when it is absent. */
    public static String text(Map<String, ?> properties, String key) {
        Object value = properties.get(key);
        return value == null ? null : value.toString();
    }

    /** {@code true} or {@code false}, in any case. */
    public static boolean bool(String key, String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        if (v.equals("true")) {
            return true;
        }
        if (v.equals("false")) {
            return false;
        }
        throw new InvalidSettingException(key, value, "expected true or false");
    }

    /** A whole number between {@code min} and {@code max} ({@code _} allowed as a separator), or null when absent. */
    public static Long number(Map<String, ?> properties, String key, long min, long max) {
        String value = text(properties, key);
        if (value == null) {
            return null;
        }
        try {
            long n = Long.parseLong(value.trim().replace("_", ""));
            if (n < min || n > max) {
                throw new InvalidSettingException(key, value, "must be between " + min + " and " + max);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new InvalidSettingException(key, value, "not a whole number");
        }
    }

    /**
     * A duration read as {@code 250ms}, {@code 2s}, {@code 5m}, {@code 1h}, {@code 1d} or ISO-8601 ({@code PT2S}),
     * never negative, zero only if {@code zeroAllowed}; null when absent.
     */
    public static Duration duration(Map<String, ?> properties, String key, boolean zeroAllowed) {
        String value = text(properties, key);
        if (value == null) {
            return null;
        }
        Duration d = parseDuration(value.trim());
        if (d == null) {
            throw new InvalidSettingException(key, value, "not a duration (examples: 200ms, 2s, 5m, 1h, PT2S)");
        }
        if (d.isNegative() || (!zeroAllowed && d.isZero())) {
            throw new InvalidSettingException(key, value, zeroAllowed ? "must not be negative" : "must be positive");
        }
        return d;
    }

    /** One duration in the forms {@link #duration} reads, or null if it is none of them. */
    public static Duration parseDuration(String v) {
        try {
            if (v.toUpperCase(Locale.ROOT).startsWith("P")) {
                return Duration.parse(v);
            }
            String lower = v.toLowerCase(Locale.ROOT);
            String[][] units = {{"ms", "1"}, {"s", "1000"}, {"m", "60000"}, {"h", "3600000"}, {"d", "86400000"}};
            for (String[] unit : units) {
                if (lower.endsWith(unit[0])) {
                    String number = lower.substring(0, lower.length() - unit[0].length()).trim();
                    return Duration.ofMillis(Math.multiplyExact(Long.parseLong(number), Long.parseLong(unit[1])));
                }
            }
            return null;
        } catch (RuntimeException e) {
            return null;
        }
    }
}
