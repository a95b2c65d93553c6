package dev.snapstore.engine;

import dev.snapstore.spi.KernelLog;
import java.util.ArrayList;
import java.util.List;

/** A kernel log that keeps its lines, for assertions. */
final class CapturingLog implements KernelLog {

    private final List<String> lines = new ArrayList<>();

    @Override
    public synchronized void log(String line) {
        lines.add(line);
    }

    synchronized List<String> lines() {
        return List.copyOf(lines);
    }

    synchronized void clear() {
        lines.clear();
    }
}
