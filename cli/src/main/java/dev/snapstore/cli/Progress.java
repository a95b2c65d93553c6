package dev.snapstore.cli;

import java.io.PrintStream;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A progress bar on standard error for the long jobs ({@code export}, {@code merge}), drawn by
 * me.tongfei:progressbar only when the process talks to a terminal; otherwise (pipes, files, CI,
 * tests) every call does nothing, so scripted output stays clean.
 */
final class Progress implements AutoCloseable {

    private static final Progress NONE = new Progress(null);

    private final ProgressBar bar;

    private Progress(ProgressBar bar) {
        this.bar = bar;
    }

    /** @return progress that draws nothing */
    static Progress none() {
        return NONE;
    }

    /**
     * A bar when {@code io} is the process's own streams on a terminal, else one that draws nothing.
     *
     * @param io where the command writes
     * @param task the bar's label
     * @param max the amount of work
     * @param unit the unit's name, e.g. {@code "MiB"}
     * @param unitSize how many of the work's units make one {@code unit}
     * @return the progress
     */
    static Progress start(Io io, String task, long max, String unit, long unitSize) {
        boolean terminal =
                io.err() == System.err && System.console() != null && System.getenv("SNAPSTORE_NO_PROGRESS") == null;
        return terminal ? to(System.err, task, max, unit, unitSize) : NONE;
    }

    /**
     * A bar drawn to a given stream, whatever it is (for tests and for {@link #start}).
     *
     * @param out where the bar is drawn
     * @param task the bar's label
     * @param max the amount of work
     * @param unit the unit's name
     * @param unitSize how many of the work's units make one {@code unit}
     * @return the progress
     */
    static Progress to(PrintStream out, String task, long max, String unit, long unitSize) {
        return new Progress(new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(max)
                .setStyle(ProgressBarStyle.ASCII)
                .setUnit(unit, unitSize)
                .setUpdateIntervalMillis(250)
                .setConsumer(new ConsoleProgressBarConsumer(out, 100))
                .build());
    }

    /** @return whether anything is drawn */
    boolean drawn() {
        return bar != null;
    }

    /**
     * Reports work done.
     *
     * @param amount how much more is done
     */
    void stepBy(long amount) {
        if (bar != null) {
            bar.stepBy(amount);
        }
    }

    /**
     * Reports how much is done in all.
     *
     * @param done the work done so far
     */
    void stepTo(long done) {
        if (bar != null) {
            bar.stepTo(done);
        }
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}
