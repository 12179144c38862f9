package io.cachesync.hibernate;

import io.cachesync.core.CacheSyncSettings;
import org.hibernate.SessionFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * The {@code reconcile} command line: runs the {@link Reconciler} and prints a report table to stdout.
 *
 * <p>Two ways to run it:
 * <ul>
 *   <li>From an application, against its own SessionFactory:
 *   {@code System.exit(ReconcileCommand.execute(sessionFactory, args))}.</li>
 *   <li>Standalone: {@code reconcile --config hibernate.properties}, where the file holds the JDBC settings,
 *   {@code cachesync.redis.uri} (and any other {@code cachesync.*} key) and names the entity classes with
 *   {@value #ENTITIES_KEY}{@code =com.acme.Account,com.acme.Profile}. The classes must be on the class path; the
 *   schema is never changed.</li>
 * </ul>
 * Exit codes: {@value #OK} when everything is consistent or was repaired; {@value #DRIFT} when drift remains
 * (a check-only run found some, or cache-ahead keys were left because {@code --force} was not given);
 * {@value #ERROR} on an error (bad arguments, database or Redis unreachable, repairs Redis never answered), with
 * a one-line message on stderr. {@code --verbose} prints each discrepancy on stdout, whatever the logging
 * backend. Never prints a password.
 */
@Command(name = "reconcile", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = "Finds drift between the database and the cachesync snapshots in Redis, and repairs it "
                + "through versioned writes (a snapshot a live commit pushes meanwhile always wins).",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
                "0:consistent, or every drifted key repaired",
                "1:drift remains: found by --check-only, or cache-ahead keys left without --force",
                "2:error (bad arguments, database or Redis unreachable, repairs unanswered)"})
public final class ReconcileCommand implements Callable<Integer> {

    /** The key of the {@code --config} file that lists the entity classes, comma-separated. */
    public static final String ENTITIES_KEY = "cachesync.entities";

    public static final int OK = 0;
    public static final int DRIFT = 1;
    public static final int ERROR = 2;

    @Spec
    private CommandSpec spec;

    @Option(names = "--model", split = ",", paramLabel = "<EntityName or class>",
            description = "Reconcile only this entity (JPA name or class name); repeatable or comma-separated. "
                    + "Default: every entity that extends VersionedEntity.")
    private List<String> models = new ArrayList<>();

    @Option(names = "--force", description = "Also overwrite cache-ahead snapshots (newer than the database) with "
            + "the database's state.")
    private boolean force;

    @Option(names = "--batch-size", paramLabel = "<rows>", defaultValue = "" + Reconciler.DEFAULT_BATCH_SIZE,
            description = "Rows read and keys fetched per batch (1 to " + Reconciler.MAX_BATCH_SIZE
                    + "). Default: ${DEFAULT-VALUE}.")
    private int batchSize;

    @Option(names = "--max-instances", paramLabel = "<rows>",
            description = "At most this many rows (and scanned keys) per model. Default: all.")
    private Long maxInstances;

    @Option(names = "--check-only", description = "Report only; change nothing.")
    private boolean checkOnly;

    @Option(names = "--verbose", description = "Print every discrepancy: entity, id, both versions and "
            + "timestamps, and what was done.")
    private boolean verbose;

    @Option(names = "--config", paramLabel = "<hibernate.properties>",
            description = "Run standalone: JDBC and cachesync.* settings, and the entity classes in "
                    + ENTITIES_KEY + "=com.acme.Account,com.acme.Profile.")
    private Path config;

    private final SessionFactory sessionFactory;
    private final PrintWriter out;

    private ReconcileCommand(SessionFactory sessionFactory, PrintWriter out) {
        this.sessionFactory = sessionFactory;
        this.out = out;
    }

    /** Runs standalone ({@code --config} required) and exits with the exit code. */
    public static void main(String... args) {
        System.exit(execute(args));
    }

    /** Runs standalone: {@code --config} names the properties file. Returns the exit code. */
    public static int execute(String... args) {
        return execute(null, stdout(), stderr(), args);
    }

    /** Runs against an application's SessionFactory (left open). Returns the exit code. */
    public static int execute(SessionFactory sessionFactory, String... args) {
        return execute(sessionFactory, stdout(), stderr(), args);
    }

    /**
     * As {@link #execute(SessionFactory, String...)}, printing to the given writers. {@code sessionFactory} null:
     * standalone, from {@code --config}.
     */
    public static int execute(SessionFactory sessionFactory, PrintWriter out, PrintWriter err, String... args) {
        CommandLine commandLine = new CommandLine(new ReconcileCommand(sessionFactory, out));
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setParameterExceptionHandler((e, given) -> {
            err.println("reconcile: " + oneLine(e.getMessage()));
            err.println("Try 'reconcile --help' for the options.");
            err.flush();
            return ERROR;
        });
        commandLine.setExecutionExceptionHandler((e, line, parsed) -> {
            err.println("reconcile: error: " + describe(e));
            err.flush();
            return ERROR;
        });
        return commandLine.execute(args);
    }

    @Override
    public Integer call() {
        validate();
        SessionFactory factory = sessionFactory != null ? sessionFactory : ConfigFileSessionFactory.open(config);
        try {
            Reconciler reconciler = Reconciler.of(factory).batchSize(batchSize).checkOnly(checkOnly).force(force);
            if (maxInstances != null) {
                reconciler.maxInstances(maxInstances);
            }
            for (String model : models) {
                if (!model.isBlank()) {
                    reconciler.model(model.trim());
                }
            }
            if (verbose) {
                reconciler.onDiscrepancy(line -> out.println("  " + line));
            }
            ReconciliationReport report = reconciler.run();
            ReportTable.print(report, batchSize, out);
            if (report.failed() > 0) {
                throw new IllegalStateException(report.failed() + " repairs got no answer from Redis; run again once "
                        + "Redis is healthy");
            }
            return report.unresolved() > 0 ? DRIFT : OK;
        } finally {
            if (sessionFactory == null) {
                factory.close();
            }
        }
    }

    private void validate() {
        CommandLine line = spec.commandLine();
        if (checkOnly && force) {
            throw new ParameterException(line, "--check-only and --force cannot be combined: a check changes nothing");
        }
        if (batchSize < 1 || batchSize > Reconciler.MAX_BATCH_SIZE) {
            throw new ParameterException(line, "--batch-size must be between 1 and " + Reconciler.MAX_BATCH_SIZE
                    + ", was " + batchSize);
        }
        if (maxInstances != null && maxInstances < 1) {
            throw new ParameterException(line, "--max-instances must be at least 1, was " + maxInstances);
        }
        if (sessionFactory != null && config != null) {
            throw new ParameterException(line, "--config is for standalone runs; this application supplies its own "
                    + "SessionFactory");
        }
        if (sessionFactory == null && config == null) {
            throw new ParameterException(line, "--config <hibernate.properties> is required: it gives the JDBC and "
                    + "cachesync settings and the entity classes (" + ENTITIES_KEY + ")");
        }
    }

    private static String describe(Throwable e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root != e && root.getMessage() != null && !message.contains(root.getMessage())) {
            message += " (" + root.getMessage() + ")";
        }
        return oneLine(maskUris(message));
    }

    /** Masks the password of any Redis URI a message may quote. */
    private static String maskUris(String message) {
        StringBuilder out = new StringBuilder();
        for (String word : message.split(" ", -1)) {
            out.append(out.length() == 0 ? "" : " ").append(word.contains("://") ? CacheSyncSettings.masked(word) : word);
        }
        return out.toString();
    }

    private static String oneLine(String text) {
        return text == null ? "" : text.replaceAll("\\s*[\\r\\n]+\\s*", " ").trim();
    }

    private static PrintWriter stdout() {
        return new PrintWriter(System.out, true);
    }

    private static PrintWriter stderr() {
        return new PrintWriter(new java.io.OutputStreamWriter(System.err, Charset.defaultCharset()), true);
    }
}
