package dev.snapstore.cow.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.snapstore.cow.CowFormat;
import dev.snapstore.cow.CowHeader;
import dev.snapstore.spi.BlockDevice;
import dev.snapstore.spi.FileBlockDevice;
import dev.snapstore.spi.MemoryBlockDevice;
import dev.snapstore.testkit.FaultInjectingBlockDevice;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.function.Supplier;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ParallelDump} against the walk on one thread ({@link CowTable#walk} into
 * {@link DumpText.Writer#record}): the same bytes, the same count, the same failure after the same
 * records, whatever the jobs' size, the number of workers, the table's end and where reads fail.
 */
class ParallelDumpTest {

    /** What a dump printed and how it ended. */
    private record Outcome(String text, String end) {}

    private static Outcome oneThread(BlockDevice cow, CowHeader header) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, false, StandardCharsets.UTF_8);
        DumpText.Writer writer = new DumpText.Writer(out);
        String end;
        try {
            end = "count " + CowTable.walk(cow, header, writer::record);
        } catch (IOException e) {
            end = e.getClass().getSimpleName() + ": " + e.getMessage();
        }
        writer.flush();
        return new Outcome(bytes.toString(StandardCharsets.UTF_8), end);
    }

    private static Outcome parallel(BlockDevice cow, CowHeader header, int jobRecords, int workers) {
        return parallel(cow, header, RecordLines::text, jobRecords, workers);
    }

    private static Outcome parallel(
            BlockDevice cow,
            CowHeader header,
            Supplier<ParallelDump.RecordFormat> format,
            int jobRecords,
            int workers) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, false, StandardCharsets.UTF_8);
        String end;
        try {
            end = "count " + ParallelDump.walk(cow, header.chunkSize(), format, out, jobRecords, workers);
        } catch (IOException e) {
            end = e.getClass().getSimpleName() + ": " + e.getMessage();
        }
        out.flush();
        return new Outcome(bytes.toString(StandardCharsets.UTF_8), end);
    }

    @Property(tries = 300)
    void sameBytesAndEndAsOneThread(
            @ForAll @IntRange(min = 0, max = 2) int chunkShift,
            @ForAll @IntRange(min = 0, max = 1500) int records,
            @ForAll @IntRange(min = -1, max = 200) int spare,
            @ForAll @IntRange(min = 1, max = 300) int jobRecords,
            @ForAll @IntRange(min = 1, max = 5) int workers,
            @ForAll long seed)
            throws IOException {
        int chunkSize = 1 << chunkShift;
        MemoryBlockDevice cow = RandomTables.cow(chunkSize, records, seed, spare);
        CowHeader header = CowHeader.of(1, 1, chunkSize);
        Outcome expected = oneThread(cow, header);
        if (spare >= 0) {
            assertEquals("count " + records, expected.end(), "the reference walk");
        } else {
            assertEquals(
                    TruncatedTableException.class.getSimpleName(),
                    expected.end().substring(0, expected.end().indexOf(':')));
        }
        assertEquals(expected, parallel(cow, header, jobRecords, workers));
        // JSON's elements too (one job on one thread against Jackson's printer: DumpFormatTest)
        assertEquals(
                parallel(cow, header, RecordLines::json, Integer.MAX_VALUE, 1),
                parallel(cow, header, RecordLines::json, jobRecords, workers));
    }

    @Property(tries = 200)
    void aFailingReadEndsTheDumpAfterTheSameRecordsAndOnlyWithinTheTable(
            @ForAll @IntRange(min = 0, max = 2) int chunkShift,
            @ForAll @IntRange(min = 0, max = 1500) int records,
            @ForAll @LongRange(min = 0, max = 60) long failingArea,
            @ForAll @IntRange(min = 1, max = 300) int jobRecords,
            @ForAll @IntRange(min = 1, max = 5) int workers,
            @ForAll long seed)
            throws IOException {
        int chunkSize = 1 << chunkShift;
        int epa = CowFormat.exceptionsPerArea(chunkSize);
        // room for areas past the table's end, which jobs read ahead
        MemoryBlockDevice image = RandomTables.cow(chunkSize, records, seed, 40 * (epa + 1));
        long failing = CowFormat.areaLocation(epa, failingArea) * chunkSize;
        CowHeader header = CowHeader.of(1, 1, chunkSize);
        Outcome expected = oneThread(failingAt(image, failing), header);
        boolean withinTable = failingArea <= records / epa;
        assertEquals(withinTable, !expected.end().startsWith("count"), expected.end());
        Outcome actual = parallel(failingAt(image, failing), header, jobRecords, workers);
        // which read of the device it was depends on how the jobs' reads interleave
        assertEquals(expected.text(), actual.text());
        assertEquals(withoutReadNumber(expected.end()), withoutReadNumber(actual.end()));
    }

    private static BlockDevice failingAt(BlockDevice image, long sector) {
        return FaultInjectingBlockDevice.passThrough(image)
                .failIf(e -> e.kind() == FaultInjectingBlockDevice.Kind.READ && e.sector() == sector);
    }

    private static String withoutReadNumber(String end) {
        return end.replaceFirst(" \\(read #\\d+\\)$", "");
    }

    @Test
    void jobsPastTheEndLeaveTheDeviceOpen(@TempDir Path dir) throws IOException {
        // A file channel closes when a thread reading from it is interrupted: the workers still
        // reading past the table's end must be let finish, not interrupted, or the caller's device
        // is closed under it.
        int records = 40 * 256 + 17;
        Path file = dir.resolve("cow");
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(RandomTables.sectors(8, records, 400 * 257) * 512);
        }
        try (FileBlockDevice cow = RandomTables.fill(FileBlockDevice.open(file, true), 8, records, 11)) {
            CowHeader header = CowHeader.of(1, 1, 8);
            Outcome expected = oneThread(cow, header);
            for (int i = 0; i < 30; i++) {
                assertEquals(expected, parallel(cow, header, 256, 4), "dump " + i);
            }
        }
    }

    @Test
    void theDumpsTextIsTheOneThreadWalksAtTheDefaultJobSize(@TempDir Path dir) throws IOException {
        // several default jobs of areas of 256 records, on a sparse file, with 1 to 4 workers
        int records = 3 * ParallelDump.JOB_RECORDS + 300;
        Path file = dir.resolve("cow");
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(RandomTables.sectors(8, records, 3) * 512);
        }
        try (FileBlockDevice cow = RandomTables.fill(FileBlockDevice.open(file, true), 8, records, 7)) {
            CowHeader header = CowHeader.of(1, 1, 8);
            Outcome expected = oneThread(cow, header);
            assertEquals("count " + records, expected.end());
            for (int workers = 1; workers <= 4; workers++) {
                assertEquals(expected, parallel(cow, header, ParallelDump.JOB_RECORDS, workers), "workers " + workers);
            }
            assertEquals(expected, parallel(cow, header, 1 << 20, 2), "one job");
        }
    }
}
