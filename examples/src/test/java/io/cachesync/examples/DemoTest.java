package io.cachesync.examples;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The demo runs end to end, tells each part of the story, and ends all consistent. */
class DemoTest {

    private static String capture(ThrowingRun run) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            run.run(out);
        }
        String text = bytes.toString(StandardCharsets.UTF_8);
        System.out.println(text);
        return text;
    }

    interface ThrowingRun {
        void run(PrintStream out) throws Exception;
    }

    @Test
    void theDemoTellsTheWholeStoryAndEndsConsistent() throws Exception {
        String out = capture(o -> new Demo(o).run());
        assertTrue(out.contains("update Account#1 balance 120.00      -> Redis cachesync:Account:1 v1"), out);
        assertTrue(out.contains("Account#1 still v1 balance 120.00; Account#2 absent"), out);
        assertTrue(out.matches("(?s).*2,000 reads of hot accounts: \\d+ local-tier hits, \\d+ Redis hits, 0 database loads.*"), out);
        assertTrue(out.contains("read from the database (1 load) and filled back (1 fill)"), out);
        assertTrue(out.matches("(?s).*node A commits balance 130.00 \\(v2\\); node B reads v2 .*"), out);
        assertTrue(out.contains("keys: 9,998 consistent, 2 inconsistent (1 stale, 0 cache-ahead, 1 corrupt), 1 missing, "
                + "1 orphaned; 0 repaired"), out);
        assertTrue(out.contains("1 missing, 1 orphaned; 4 repaired"), out);
        assertTrue(out.contains("0 inconsistent (0 stale, 0 cache-ahead, 0 corrupt), 0 missing, 0 orphaned"), out);
        assertTrue(out.contains("all consistent: every row has its snapshot, every snapshot its row"), out);
        assertTrue(out.contains("; 0 pending repairs"), out);
        assertTrue(out.matches("(?s).*repairs: \\d+ queued keys repaired, 0 overflows; circuit breaker closed.*"), out);
        assertTrue(out.contains("warming: off (cachesync.warm.enabled=false)"), out);
    }

    @Test
    void theReconcileCommandRunsAgainstTheDemoModel() throws Exception {
        int[] codes = new int[2];
        capture(o -> codes[0] = ReconcileDemo.run(new String[]{"--check-only", "--verbose"}, o));
        assertEquals(1, codes[0], "check-only found drift");
        capture(o -> codes[1] = ReconcileDemo.run(new String[]{"--batch-size", "500"}, o));
        assertEquals(0, codes[1], "repaired");
    }
}
