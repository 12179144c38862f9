package io.cachesync.testsupport;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Turns real encoded snapshots into hostile values, reproducibly from a {@link Random}: flipped bytes and bits,
 * truncations, splices of two snapshots, changed numbers, values of another JSON type, injected Java class
 * names (Jackson's {@code @class} and {@code ["java.util...", ...]} forms), deep nesting, and plain noise.
 */
public final class SnapshotMutator {

    /** A mutated value, with the kind of mutation that made it. */
    public record Mutation(int kind, String name, byte[] bytes) {
    }

    public static final int KINDS = 12;
    private static final String[] NAMES = {"flip-byte", "flip-bit", "truncate", "splice", "insert", "delete-range",
            "change-number", "change-type", "class-name", "deep-nesting", "noise", "duplicate-field"};
    private static final String[] FOREIGN_VALUES = {"null", "true", "false", "0", "-1", "1e400", "-9223372036854775809",
            "9223372036854775808", "3.5", "NaN", "\"\"", "\"x\"", "[]", "{}", "[1,2]", "{\"a\":1}",
            "{\"@class\":\"java.lang.ProcessBuilder\",\"command\":[\"sh\"]}",
            "[\"java.util.ArrayList\",[\"x\"]]", "[\"java.net.URL\",\"http://example.invalid\"]",
            "\"rO0ABXNyAA5qYXZhLmxhbmcuTG9uZw==\""};

    private final Random random;
    private final List<byte[]> corpus;

    public SnapshotMutator(Random random, List<byte[]> corpus) {
        this.random = random;
        this.corpus = corpus;
    }

    /** One mutation of the corpus entry at {@code base}. */
    public Mutation mutate(int base) {
        byte[] in = corpus.get(base);
        int kind = random.nextInt(KINDS);
        byte[] out = switch (kind) {
            case 0 -> flipByte(in);
            case 1 -> flipBit(in);
            case 2 -> Arrays.copyOf(in, random.nextInt(in.length));
            case 3 -> splice(in, corpus.get(random.nextInt(corpus.size())));
            case 4 -> insert(in, randomBytes(1 + random.nextInt(8)));
            case 5 -> deleteRange(in);
            case 6 -> changeNumber(in);
            case 7 -> changeType(in);
            case 8 -> classNames(in);
            case 9 -> deepNesting();
            case 10 -> randomBytes(random.nextInt(200));
            default -> duplicateField(in);
        };
        return new Mutation(kind, NAMES[kind], out);
    }

    private byte[] flipByte(byte[] in) {
        byte[] out = in.clone();
        out[random.nextInt(out.length)] = (byte) random.nextInt(256);
        return out;
    }

    private byte[] flipBit(byte[] in) {
        byte[] out = in.clone();
        out[random.nextInt(out.length)] ^= (byte) (1 << random.nextInt(8));
        return out;
    }

    private byte[] splice(byte[] a, byte[] b) {
        int cutA = random.nextInt(a.length + 1);
        int cutB = random.nextInt(b.length + 1);
        byte[] out = Arrays.copyOf(a, cutA + b.length - cutB);
        System.arraycopy(b, cutB, out, cutA, b.length - cutB);
        return out;
    }

    private byte[] insert(byte[] in, byte[] what) {
        int at = random.nextInt(in.length + 1);
        byte[] out = new byte[in.length + what.length];
        System.arraycopy(in, 0, out, 0, at);
        System.arraycopy(what, 0, out, at, what.length);
        System.arraycopy(in, at, out, at + what.length, in.length - at);
        return out;
    }

    private byte[] deleteRange(byte[] in) {
        int from = random.nextInt(in.length);
        int to = Math.min(in.length, from + 1 + random.nextInt(16));
        byte[] out = new byte[in.length - (to - from)];
        System.arraycopy(in, 0, out, 0, from);
        System.arraycopy(in, to, out, from, in.length - to);
        return out;
    }

    /** Replaces one run of digits (a version, a balance, a date part, a time) with another number. */
    private byte[] changeNumber(byte[] in) {
        String text = new String(in, StandardCharsets.UTF_8);
        int start = -1;
        for (int tries = 0; tries < 20 && start < 0; tries++) {
            int at = random.nextInt(text.length());
            if (Character.isDigit(text.charAt(at))) {
                start = at;
            }
        }
        if (start < 0) {
            return flipByte(in);
        }
        while (start > 0 && Character.isDigit(text.charAt(start - 1))) {
            start--;
        }
        int end = start;
        while (end < text.length() && Character.isDigit(text.charAt(end))) {
            end++;
        }
        String[] numbers = {"0", "1", "2", "99", "-1", "18446744073709551616", "1e3", "0.5",
                Long.toString(random.nextLong()), Integer.toString(random.nextInt(1000))};
        return (text.substring(0, start) + numbers[random.nextInt(numbers.length)] + text.substring(end))
                .getBytes(StandardCharsets.UTF_8);
    }

    /** Replaces the value after one {@code "name":} with a value of another JSON type (or a class name). */
    private byte[] changeType(byte[] in) {
        String text = new String(in, StandardCharsets.UTF_8);
        int colon = nthColon(text);
        if (colon < 0) {
            return flipByte(in);
        }
        int end = endOfValue(text, colon + 1);
        return (text.substring(0, colon + 1) + FOREIGN_VALUES[random.nextInt(FOREIGN_VALUES.length)]
                + text.substring(end)).getBytes(StandardCharsets.UTF_8);
    }

    /** Adds a type hint where Jackson's default typing would look for one, or wraps the whole value in one. */
    private byte[] classNames(byte[] in) {
        String text = new String(in, StandardCharsets.UTF_8);
        return switch (random.nextInt(3)) {
            case 0 -> ("{\"@class\":\"java.lang.ProcessBuilder\"," + text.substring(1)).getBytes(StandardCharsets.UTF_8);
            case 1 -> ("[\"io.cachesync.core.Snapshot\"," + text + "]").getBytes(StandardCharsets.UTF_8);
            default -> text.replace("\"state\":{", "\"state\":{\"@type\":\"java.util.HashMap\",")
                    .getBytes(StandardCharsets.UTF_8);
        };
    }

    private byte[] deepNesting() {
        int depth = 1 + random.nextInt(50_000);
        String open = random.nextBoolean() ? "[" : "{\"a\":";
        StringBuilder text = new StringBuilder("{\"version\":1,\"deleted\":false,\"schema\":\"x\",\"state\":");
        text.append(open.repeat(depth));
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    private byte[] duplicateField(byte[] in) {
        String text = new String(in, StandardCharsets.UTF_8);
        String[] fields = {"\"version\":999,", "\"id\":\"1\",", "\"entity\":\"Other\",", "\"deleted\":true,",
                "\"state\":{},"};
        return ("{" + fields[random.nextInt(fields.length)] + text.substring(1)).getBytes(StandardCharsets.UTF_8);
    }

    private byte[] randomBytes(int n) {
        byte[] out = new byte[n];
        random.nextBytes(out);
        return out;
    }

    private int nthColon(String text) {
        int count = 0;
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == ':' && i > 0 && text.charAt(i - 1) == '"') {
                count++;
            }
        }
        if (count == 0) {
            return -1;
        }
        int target = random.nextInt(count);
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == ':' && i > 0 && text.charAt(i - 1) == '"' && target-- == 0) {
                return i;
            }
        }
        return -1;
    }

    /** The end of the JSON value starting at {@code from} (a scalar, a string or a bracketed structure). */
    private static int endOfValue(String text, int from) {
        int depth = 0;
        boolean inString = false;
        for (int i = from; i < text.length(); i++) {
            char c = text.charAt(i);
            if (inString) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    inString = false;
                    if (depth == 0) {
                        return i + 1;
                    }
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                if (depth == 0) {
                    return i;
                }
                depth--;
                if (depth == 0) {
                    return i + 1;
                }
            } else if (c == ',' && depth == 0) {
                return i;
            }
        }
        return text.length();
    }
}
