package io.cachesync.hibernate;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** Prints a {@link ReconciliationReport} as a table for people, followed by a one-line verdict. */
final class ReportTable {

    private static final String[] HEADER = {"model", "rows", "consistent", "stale", "missing", "orphaned",
            "cache-ahead", "corrupt", "repaired"};

    private ReportTable() {
    }

    static void print(ReconciliationReport report, int batchSize, PrintWriter out) {
        out.printf("cachesync reconcile: %s, %d model%s, batch size %d, %.3f s%n",
                report.checkOnly() ? "check-only" : report.force() ? "repair (forced)" : "repair",
                report.models().size(), report.models().size() == 1 ? "" : "s", batchSize,
                report.elapsed().toNanos() / 1e9);
        List<String[]> rows = new ArrayList<>();
        rows.add(HEADER);
        for (ModelReport m : report.models()) {
            rows.add(row(m.entityName() + (m.complete() ? "" : " *"), m.rowsRead(), m.stats(), m.repaired()));
        }
        rows.add(row("total", report.rowsRead(), report.totals(), report.repaired()));
        int[] widths = new int[HEADER.length];
        for (String[] row : rows) {
            for (int c = 0; c < row.length; c++) {
                widths[c] = Math.max(widths[c], row[c].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < row.length; c++) {
                String cell = c == 0 ? pad(row[c], widths[c], false) : pad(row[c], widths[c], true);
                line.append(c == 0 ? "" : "  ").append(cell);
            }
            out.println(line.toString().stripTrailing());
        }
        if (!report.complete()) {
            out.println("* stopped at --max-instances: the rest of this model was not examined");
        }
        out.println(verdict(report));
        out.flush();
    }

    private static String verdict(ReconciliationReport report) {
        ConsistencyStats t = report.totals();
        if (t.allConsistent()) {
            return "all consistent";
        }
        String found = "drift in " + t.drift() + " keys (inconsistent " + t.inconsistent() + " = stale " + t.stale()
                + " + cache-ahead " + t.cacheAhead() + " + corrupt " + t.corrupt() + "; missing " + t.missing()
                + "; orphaned " + t.orphaned() + ")";
        if (report.checkOnly()) {
            return found + "; nothing was changed (check-only)";
        }
        StringBuilder text = new StringBuilder(found).append("; repaired ").append(report.repaired());
        if (report.refused() > 0) {
            text.append(", ").append(report.refused()).append(" already overtaken by live commits");
        }
        if (report.failed() > 0) {
            text.append(", ").append(report.failed()).append(" failed (Redis did not answer)");
        }
        if (!report.force() && report.cacheAhead() > 0) {
            text.append("; ").append(report.cacheAhead())
                    .append(" cache-ahead keys left alone: rerun with --force to overwrite them with the database's "
                            + "state");
        }
        return text.toString();
    }

    private static String[] row(String name, long rows, ConsistencyStats s, long repaired) {
        return new String[]{name, Long.toString(rows), Long.toString(s.consistent()), Long.toString(s.stale()),
                Long.toString(s.missing()), Long.toString(s.orphaned()), Long.toString(s.cacheAhead()),
                Long.toString(s.corrupt()), Long.toString(repaired)};
    }

    private static String pad(String text, int width, boolean right) {
        String spaces = " ".repeat(width - text.length());
        return right ? spaces + text : text + spaces;
    }
}
