package dev.snapstore.bench;

import dev.snapstore.engine.ExceptionTable;
import dev.snapstore.spi.ChunkSize;
import dev.snapstore.spi.ExceptionStore;
import dev.snapstore.spi.FileBlockDevice;
import dev.snapstore.spi.KernelLog;
import dev.snapstore.spi.StoreTypes;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongUnaryOperator;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * The short benchmark profile of {@code bench/run.sh}: runs every JMH benchmark of this module
 * with few, short iterations and prints one table row per figure, snapstore's number next to the
 * raw baseline measured in the same run on the same files, their ratio and the goal of issue 6.
 *
 * <p>Arguments: {@code --only load,memory,cow,export,lookup} picks parts (all by default). The
 * files go to {@link Images#dir()}; they are kept for the next run (delete the folder to rebuild).
 */
public final class BenchMain {

    private final List<String> rows = new ArrayList<>();
    /** Raw load times by exception count, for the memory part's one-shot engine load. */
    private final Map<String, Double> rawLoadSeconds = new HashMap<>();

    private final String dirFlag = "-Dsnapstore.bench.dir=" + Images.dir();

    private BenchMain() {}

    /**
     * Runs the profile.
     *
     * @param args {@code --only PARTS}, optional
     * @throws Exception when a benchmark fails
     */
    public static void main(String[] args) throws Exception {
        String only = "load,memory,cow,export,lookup";
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--only") && i + 1 < args.length) {
                only = args[++i];
            } else {
                System.err.println("usage: BenchMain [--only load,memory,cow,export,lookup]");
                System.exit(2);
            }
        }
        List<String> parts = List.of(only.split(","));
        BenchMain main = new BenchMain();
        System.out.println("benchmark files in " + Images.dir());
        if (parts.contains("load")) {
            main.load();
        }
        if (parts.contains("memory")) {
            main.memory();
        }
        if (parts.contains("cow")) {
            main.cow();
        }
        if (parts.contains("export")) {
            main.exportAndMerge();
        }
        if (parts.contains("lookup")) {
            main.lookups();
        }
        System.out.println();
        System.out.println("| figure | snapstore | raw | ratio | goal | met? |");
        System.out.println("|---|---:|---:|---:|---|---|");
        main.rows.forEach(System.out::println);
    }

    private ChainedOptionsBuilder options(String benchmarkRegex, int warmups, int measurements) {
        return new OptionsBuilder()
                .include(benchmarkRegex)
                .forks(1)
                // A full collection between shots: a shot loads hundreds of megabytes, and the
                // garbage of the ones before it made young pauses of 100-400 ms inside later shots
                // (a CLI process starts with an empty heap).
                .shouldDoGC(true)
                .warmupIterations(warmups)
                .measurementIterations(measurements)
                .jvmArgsAppend(dirFlag, "-Xmx3g", "-Xms3g");
    }

    private static Collection<RunResult> run(ChainedOptionsBuilder options) throws RunnerException {
        return new Runner(options.build()).run();
    }

    /** The score of the one result whose benchmark method and parameters match. */
    private static RunResult find(Collection<RunResult> results, String method, String... params) {
        outer:
        for (RunResult r : results) {
            if (!r.getParams().getBenchmark().endsWith("." + method)) {
                continue;
            }
            for (int i = 0; i < params.length; i += 2) {
                if (!params[i + 1].equals(r.getParams().getParam(params[i]))) {
                    continue outer;
                }
            }
            return r;
        }
        throw new IllegalStateException("no result for " + method + " " + String.join(" ", params));
    }

    private static double score(RunResult r) {
        return r.getPrimaryResult().getScore();
    }

    /**
     * One table row whose goal is on the ratio snapstore / raw: at least {@code goal} when
     * {@code ratioAtLeast}, else at most; {@code NaN} for figures without a goal.
     */
    private void row(String figure, double snap, double raw, String unit, double goal, boolean ratioAtLeast) {
        double ratio = snap / raw;
        boolean none = Double.isNaN(goal);
        String goalText = none ? "—" : "ratio " + (ratioAtLeast ? "≥ " : "≤ ") + fmt(goal);
        String met = none ? "—" : (ratioAtLeast ? ratio >= goal : ratio <= goal) ? "yes" : "**no**";
        rows.add(String.format(
                Locale.ROOT,
                "| %s | %s %s | %s %s | %s | %s | %s |",
                figure,
                fmt(snap),
                unit,
                fmt(raw),
                unit,
                fmt(ratio),
                goalText,
                met));
    }

    /** One table row whose goal is on snapstore's own figure (at most {@code limit}). */
    private void rowAbsolute(String figure, double snap, double raw, String unit, double limit) {
        rows.add(String.format(
                Locale.ROOT,
                "| %s | %s %s | %s %s | %s | ≤ %s %s | %s |",
                figure,
                fmt(snap),
                unit,
                fmt(raw),
                unit,
                fmt(snap / raw),
                fmt(limit),
                unit,
                snap <= limit ? "yes" : "**no**"));
    }

    private static String fmt(double v) {
        if (v >= 100) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (v >= 1) {
            return String.format(Locale.ROOT, "%.2f", v);
        }
        return String.format(Locale.ROOT, "%.3f", v);
    }

    // --- the parts ----------------------------------------------------------------------------

    private void load() throws Exception {
        for (long count : new long[] {1_000_000, 10_000_000}) {
            for (String order : new String[] {"sorted", "random"}) {
                LoadBench.image(8, count, order);
            }
        }
        String name = LoadBench.class.getName() + "\\.";
        // Six warm-up shots for the store: with the read-ahead thread its loops reach C2 later (a
        // 10 M load took 0.20, 0.14, 0.08, 0.08, 0.06 s...; with three, half-compiled shots scored).
        List<RunResult> results = new ArrayList<>(run(options(name + "(store|raw)$", 6, 7)));
        // Four warm-up shots: the sort's and the dump's code is compiled by C2 only after the
        // third (a load took 0.49, 0.37, 0.19, then 0.14 s); two left half-compiled shots in the score.
        results.addAll(run(options(name + "(engine|check|dump|dumpJson)$", 4, 5)));
        for (String order : new String[] {"sorted", "random"}) {
            for (String count : new String[] {"1000000", "10000000"}) {
                boolean big = count.length() > 7;
                String n = (big ? "10M" : "1M") + " exceptions, " + order + ", chunk 4 KiB";
                double raw = score(find(results, "raw", "count", count, "order", order)) / 1e3;
                if (order.equals("sorted")) {
                    rawLoadSeconds.put(count, raw);
                }
                row(
                        "load " + n + ": store readMetadata (s)",
                        score(find(results, "store", "count", count, "order", order)) / 1e3,
                        raw,
                        "s",
                        1.5,
                        false);
                // Issue 12, goals 5 and 6, are set at 10 M: benchmark, figure, ratio goal at 10 M.
                String[][] rows = {
                    {"engine", "load " + n + " into the engine's ExceptionTable, as a snapshot does (s)", "3"},
                    {"check", "check " + n + ": CowCheck.check, as snapstore check without the JVM's start (s)", "2"},
                    {"dump", "dump " + n + ": DumpText.write into a discarding stream, as snapstore dump (s)", "2"},
                    {"dumpJson", "dump --json " + n + ": counting walk, then DumpJson.write, discarded (s)", "NaN"}
                };
                for (String[] r : rows) {
                    double goal = big ? Double.parseDouble(r[2]) : Double.NaN;
                    row(r[1], score(find(results, r[0], "count", count, "order", order)) / 1e3, raw, "s", goal, false);
                }
            }
        }
    }

    /**
     * Bytes per exception of the engine's table after loading 10 million exceptions from a COW,
     * from the table's own array sizes (as ExceptionTableMemoryTest measures it) and, as a check,
     * from the heap in use before and after. The raw reference is two plain {@code long[]}.
     */
    private void memory() throws IOException {
        long count = 10_000_000;
        StoreTypes types = StoreTypes.load();
        for (boolean runs : new boolean[] {false, true}) {
            LongUnaryOperator old = runs ? Images.IN_RUNS : Images.SCATTERED;
            Path cow = Images.cow("memory-" + (runs ? "runs" : "scattered") + ".cow", 8, count, old);
            long before = usedHeap();
            long start = System.nanoTime();
            ExceptionTable table = new ExceptionTable();
            try (FileBlockDevice dev = FileBlockDevice.open(cow, false);
                    ExceptionStore store = types.create("P", "8", dev, ChunkSize.SECTOR_SIZE, KernelLog.DISCARD)) {
                store.readMetadata(table.loader());
                table.compact();
            } catch (Exception e) {
                throw new IOException(e);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            long heap = usedHeap() - before;
            if (table.size() != count) {
                throw new IllegalStateException("loaded " + table.size() + " of " + count);
            }
            String what = runs ? "in runs (sequential writes)" : "scattered";
            rowAbsolute(
                    "memory after loading 10M exceptions " + what + " (ExceptionTable.memoryBytes; raw = two long[])",
                    (double) table.memoryBytes() / count,
                    16,
                    "B/exc",
                    runs ? 1 : 16);
            row("memory, same, measured as heap growth (check)", (double) heap / count, 16, "B/exc", Double.NaN, false);
            if (!runs && rawLoadSeconds.containsKey("10000000")) {
                row(
                        "load 10M into the engine's ExceptionTable, one cold shot (s)",
                        seconds,
                        rawLoadSeconds.get("10000000"),
                        "s",
                        Double.NaN,
                        false);
            }
            // Keep the table reachable until the heap was measured.
            if (table.lookup(old.applyAsLong(7)) == ExceptionTable.NONE) {
                throw new IllegalStateException("lost an exception");
            }
        }
    }

    private static long usedHeap() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }

    private void cow() throws Exception {
        String name = CowBench.class.getName() + "\\.";
        List<RunResult> results = new ArrayList<>();
        // P's breaking shots cost two flushes per chunk: fewer of them.
        results.addAll(run(options(name, 1, 2).param("store", "P").param("phase", "breaking")));
        results.addAll(run(options(name, 2, 4).param("store", "P").param("phase", "broken")));
        results.addAll(run(options(name, 3, 8).param("store", "N", "raw")));
        for (String phase : new String[] {"breaking", "broken"}) {
            for (String chunk : new String[] {"4", "16", "64"}) {
                for (String io : new String[] {"64", "1024"}) {
                    double bytes = CowBench.shotBytes(Integer.parseInt(chunk), phase);
                    double raw = mbps(
                            bytes,
                            find(results, "write", "store", "raw", "chunkKiB", chunk, "ioKiB", io, "phase", phase));
                    for (String store : new String[] {"P", "N"}) {
                        double snap = mbps(
                                bytes,
                                find(results, "write", "store", store, "chunkKiB", chunk, "ioKiB", io, "phase", phase));
                        row(
                                String.format(
                                        Locale.ROOT,
                                        "CoW %s, %s, chunk %s KiB, I/O %s KiB (MB/s)",
                                        phase,
                                        store,
                                        chunk,
                                        io),
                                snap,
                                raw,
                                "MB/s",
                                phase.equals("breaking") ? 0.33 : 0.9,
                                true);
                    }
                }
            }
        }
    }

    /** MB/s from a SingleShotTime result in milliseconds per shot. */
    private static double mbps(double bytesPerShot, RunResult r) {
        return bytesPerShot / 1e6 / (score(r) / 1e3);
    }

    private void exportAndMerge() throws Exception {
        Collection<RunResult> results = run(options(ExportMergeBench.class.getName() + "\\.", 1, 3));
        for (String chunk : new String[] {"4", "64"}) {
            row(
                    "export (read the whole snapshot), chunk " + chunk + " KiB (MB/s)",
                    mbps(ExportMergeBench.exportBytes(), find(results, "export", "chunkKiB", chunk)),
                    mbps(ExportMergeBench.exportBytes(), find(results, "exportRaw", "chunkKiB", chunk)),
                    "MB/s",
                    0.8,
                    true);
            row(
                    "merge (startMerge + mergeAll), chunk " + chunk + " KiB (MB/s)",
                    mbps(ExportMergeBench.mergeBytes(), find(results, "merge", "chunkKiB", chunk)),
                    mbps(ExportMergeBench.mergeBytes(), find(results, "mergeRaw", "chunkKiB", chunk)),
                    "MB/s",
                    0.8,
                    true);
        }
    }

    private void lookups() throws Exception {
        int cores = Runtime.getRuntime().availableProcessors();
        for (int threads : cores > 1 ? new int[] {1, cores} : new int[] {1}) {
            Collection<RunResult> results = run(options(LookupBench.class.getName() + "\\.", 2, 3)
                    .threads(threads)
                    .warmupTime(TimeValue.seconds(1))
                    .measurementTime(TimeValue.seconds(1)));
            row(
                    "exception-table lookups, 10M scattered, " + threads + " thread" + (threads > 1 ? "s" : "")
                            + " (M/s; raw = binary search of a sorted long[])",
                    score(find(results, "table")) / 1e6,
                    score(find(results, "raw")) / 1e6,
                    "M/s",
                    Double.NaN,
                    true);
        }
    }
}
