package dev.snapstore.testkit;

import dev.snapstore.spi.KernelLog;
import java.util.ArrayList;
import java.util.List;

/** A kernel log that keeps its lines, for assertions. Safe for concurrent use. */
public final class CapturingLog implements KernelLog {

    private final List<String> lines = new ArrayList<>();

    /** Creates an empty log. */
    public CapturingLog() {}

    @Override
    public synchronized void log(String line) {
        lines.add(line);
    }

    /**
     * The lines logged so far, oldest first.
     *
     * @return a copy
     */
    public synchronized List<String> lines() {
        return List.copyOf(lines);
    }

    /** Forgets the lines logged so far. */
    public synchronized void clear() {
        lines.clear();
    }
}
