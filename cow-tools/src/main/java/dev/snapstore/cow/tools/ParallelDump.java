package dev.snapstore.cow.tools;

import dev.snapstore.spi.BlockDevice;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.PrintStream;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A dump's walk on several threads: each job reads and formats a run of areas
 * ({@link CowTable.Areas}, about {@value #JOB_RECORDS} records), and the caller writes the jobs'
 * bytes to the output in table order, up to the job that holds the table's end or fails. Formatting
 * is most of a large dump's time (10 M records: 0.06 s to read the table, 0.14 s to format it on
 * one thread; 0.10 s for both on two). Jobs past the end read areas that are not the table's:
 * nothing of theirs is written, and their failures do not count. Memory stays at a few jobs (about
 * 2 MiB of text each, for any chunk size up to 512 KiB) whatever the table's size; a table that
 * ends in the first job starts no thread. Fewer, larger jobs were faster: each hand-over wakes a
 * thread.
 */
final class ParallelDump {

    /** Turns records into bytes. Each job has its own: an instance is used by one thread at a time. */
    interface RecordFormat {

        /** The most bytes one record can take, the bytes a write may overrun included. */
        int maxRecordBytes();

        /**
         * Formats a batch of one area's records.
         *
         * @param into where the bytes go, with {@code count * maxRecordBytes()} free from {@code at}
         * @param fields old chunk, new chunk, ...: {@code 2 * count} of them
         * @return the index after the last byte written
         */
        int records(byte[] into, int at, long area, int from, long[] fields, int count);
    }

    /** Records a job holds at most, unless one area holds more. */
    static final int JOB_RECORDS = 32_768;

    private static final int MAX_WORKERS = 4;
    private static final AtomicInteger THREADS = new AtomicInteger();

    private ParallelDump() {}

    /**
     * Walks the table and writes every record formatted; whatever way the walk ends, the records
     * before the end are written to {@code out}, in order, before this returns or throws.
     *
     * @param formats makes one format per job
     * @return the number of records
     * @throws IOException as {@link CowTable#walk(BlockDevice, int, CowTable.Batches)} throws
     * @throws IllegalArgumentException when the chunk size is not usable
     */
    static long walk(BlockDevice cow, int chunkSize, Supplier<RecordFormat> formats, PrintStream out)
            throws IOException {
        int workers = Math.min(MAX_WORKERS, Runtime.getRuntime().availableProcessors());
        return walk(cow, chunkSize, formats, out, JOB_RECORDS, workers);
    }

    /**
     * {@link #walk(BlockDevice, int, Supplier, PrintStream)} with the job's size and the number of
     * workers given (tests use small jobs and more workers than the machine has cores).
     */
    static long walk(
            BlockDevice cow,
            int chunkSize,
            Supplier<RecordFormat> formats,
            PrintStream out,
            int jobRecords,
            int workers)
            throws IOException {
        CowTable.Areas areas = new CowTable.Areas(cow, chunkSize);
        int epa = areas.exceptionsPerArea;
        int areasPerJob = Math.max(1, jobRecords / epa);
        // The first job on the caller's thread: a small table starts no thread.
        Job first = new Job(areas, formats.get()).areas(0, areasPerJob).call();
        long records = first.writeTo(out);
        if (first.ended) {
            return records;
        }
        long next = areasPerJob;
        if (workers < 2) {
            for (Job job = first; !job.ended; next += areasPerJob) {
                records += job.areas(next, areasPerJob).call().writeTo(out);
            }
            return records;
        }
        // Jobs in flight: enough to keep every worker busy while the oldest is written, few enough
        // that their bytes stay small.
        int window = (int) Math.max(workers, 2L * workers * jobRecords / ((long) areasPerJob * epa));
        ExecutorService pool = Executors.newFixedThreadPool(workers, task -> {
            Thread t = new Thread(task, "snapstore-dump-" + THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        ArrayDeque<Future<Job>> inFlight = new ArrayDeque<>();
        try {
            Job free = first;
            while (true) {
                while (inFlight.size() < window) {
                    Job job = free != null ? free : new Job(areas.copy(), formats.get());
                    free = null;
                    inFlight.add(pool.submit(job.areas(next, areasPerJob)));
                    next += areasPerJob;
                }
                Job done = await(inFlight.poll());
                records += done.writeTo(out);
                if (done.ended) {
                    return records;
                }
                free = done;
            }
        } finally {
            stop(pool, inFlight);
        }
    }

    /**
     * Lets the jobs in flight (reading past the table's end, or after a failure) finish and the
     * workers end. Not by interrupting them: a file channel closes when a thread reading from it
     * is interrupted, and the device is the caller's.
     */
    private static void stop(ExecutorService pool, ArrayDeque<Future<Job>> inFlight) {
        for (Future<Job> job : inFlight) {
            job.cancel(false);
        }
        pool.shutdown();
        boolean interrupted = false;
        while (true) {
            try {
                if (pool.awaitTermination(1, TimeUnit.MINUTES)) {
                    break;
                }
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static Job await(Future<Job> job) throws IOException {
        try {
            return job.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while dumping the table");
        } catch (ExecutionException e) {
            // Formatting has no checked failure, and a read's is kept in the job: what gets here
            // is a bug, thrown as it was.
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /** A run of areas, read and formatted: its bytes, its records, and whether the table ends in it. */
    private static final class Job implements Callable<Job>, CowTable.Batches {

        private final CowTable.Areas areas;
        private final RecordFormat format;
        private long first;
        private int count;
        private byte[] bytes;
        private int length;
        private long records;
        private boolean ended;
        private IOException failure;

        Job(CowTable.Areas areas, RecordFormat format) {
            this.areas = areas;
            this.format = format;
            // grown to what the job's records take (55-60 bytes each in the text format)
            this.bytes = new byte[1 << 16];
        }

        Job areas(long first, int count) {
            this.first = first;
            this.count = count;
            return this;
        }

        @Override
        public Job call() {
            length = 0;
            records = 0;
            ended = false;
            failure = null;
            try {
                for (long area = first; area < first + count; area++) {
                    int n = areas.walk(area, this);
                    records += n;
                    if (n < areas.exceptionsPerArea) {
                        ended = true;
                        break;
                    }
                }
            } catch (IOException e) {
                failure = e;
                ended = true;
            }
            return this;
        }

        @Override
        public void records(long area, int from, long[] fields, int n) {
            int need = length + n * format.maxRecordBytes();
            if (need > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(need, 2 * bytes.length));
            }
            length = format.records(bytes, length, area, from, fields, n);
        }

        /**
         * Writes the job's bytes.
         *
         * @return its records
         * @throws IOException what failed the job's walk, once what came before it is written
         */
        long writeTo(PrintStream out) throws IOException {
            out.write(bytes, 0, length);
            if (failure != null) {
                throw failure;
            }
            return records;
        }
    }
}
