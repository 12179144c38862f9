package io.cachesync.testsupport;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.stream.Collectors;

/** Captures every log event of the process while open, for tests that assert on log output. */
public final class LogCapture implements AutoCloseable {

    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

    public LogCapture() {
        appender.start();
        root.addAppender(appender);
    }

    /** Every formatted message so far, with its level, one per line. */
    public synchronized String text() {
        List<ILoggingEvent> events = List.copyOf(appender.list);
        return events.stream().map(e -> e.getLevel() + " " + e.getFormattedMessage()
                        + (e.getThrowableProxy() == null ? "" : " " + e.getThrowableProxy().getMessage()))
                .collect(Collectors.joining("\n"));
    }

    public long count(String level, String fragment) {
        return List.copyOf(appender.list).stream()
                .filter(e -> e.getLevel().toString().equals(level) && e.getFormattedMessage().contains(fragment))
                .count();
    }

    @Override
    public void close() {
        root.detachAppender(appender);
        appender.stop();
    }
}
