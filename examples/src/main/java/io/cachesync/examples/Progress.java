package io.cachesync.examples;

import java.io.PrintStream;

/** A one-line progress counter for steps that take more than a moment. */
final class Progress {

    private final PrintStream out;
    private final String label;
    private final long total;
    private final long start = System.nanoTime();
    private long done;
    private long lastPrint;
    /** On a terminal the counter rewrites its line; in a log or a pipe only the final line is printed. */
    private final boolean live = System.console() != null;

    Progress(PrintStream out, String label, long total) {
        this.out = out;
        this.label = label;
        this.total = total;
    }

    void advance(long n) {
        done += n;
        long now = System.nanoTime();
        if (live && now - lastPrint > 200_000_000L) {
            lastPrint = now;
            out.printf("\r    %s: %,d / %,d (%d%%)", label, done, total, done * 100 / total);
            out.flush();
        }
    }

    void done() {
        double seconds = (System.nanoTime() - start) / 1e9;
        out.printf("%s    %s: %,d / %,d (100%%) in %.1f s%n", live ? "\r" : "", label, done, total, seconds);
    }
}
