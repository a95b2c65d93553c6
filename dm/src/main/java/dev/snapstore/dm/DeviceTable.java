package dev.snapstore.dm;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A device's whole table, one {@link TargetLine} per line, as {@code dmsetup table NAME} prints it
 * and {@code dmsetup create}/{@code load} take it. Built only when it is one the kernel accepts
 * before any constructor runs ({@code dm_table_add_target}): no zero-length target, the first target
 * at sector 0 and each next one where the previous ends.
 *
 * @param lines the targets, in order
 * @since 0.1
 */
public record DeviceTable(List<TargetLine> lines) {

    /**
     * Checks the table as dm-table does.
     *
     * @param lines the targets
     * @throws IllegalArgumentException with the kernel's words ({@value KernelMessages#GAP_IN_TABLE},
     *     {@value KernelMessages#ZERO_LENGTH_TARGET}) or for an empty table
     */
    public DeviceTable {
        lines = List.copyOf(lines);
        try {
            check(lines);
        } catch (TableException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /**
     * A one-line table.
     *
     * @param line the target
     * @return the table
     */
    public static DeviceTable of(TargetLine line) {
        return new DeviceTable(List.of(line));
    }

    /**
     * Parses {@code dmsetup table} output for one device (one line per target; a trailing newline
     * and {@code "name: "} prefixes are allowed).
     *
     * @param text the table
     * @return the table
     * @throws TableException for a line no target accepts, a gap or a zero-length target, in the
     *     kernel's words where it has them
     */
    public static DeviceTable parse(String text) throws TableException {
        Objects.requireNonNull(text, "text");
        List<TargetLine> lines = new ArrayList<>();
        for (String line : text.split("\n", -1)) {
            if (!line.isBlank()) {
                lines.add(TargetLine.parse(line));
            }
        }
        check(lines);
        return new DeviceTable(lines);
    }

    private static void check(List<TargetLine> lines) throws TableException {
        if (lines.isEmpty()) {
            throw TableException.syntax("an empty table: a device needs at least one target");
        }
        long next = 0;
        for (TargetLine line : lines) {
            if (line.length() == 0) {
                throw TableException.other(line.targetName(), KernelMessages.ZERO_LENGTH_TARGET);
            }
            if (line.start() != next) {
                throw TableException.other(line.targetName(), KernelMessages.GAP_IN_TABLE);
            }
            next = line.start() + line.length();
        }
    }

    /**
     * The device's length: where the last target ends.
     *
     * @return sectors
     */
    public long length() {
        TargetLine last = lines.get(lines.size() - 1);
        return last.start() + last.length();
    }

    /**
     * The {@code snapshot} or {@code snapshot-merge} line, when the table is one.
     *
     * @return the only line, if it is a snapshot target
     */
    public Optional<TableLine> snapshot() {
        return lines.size() == 1 && lines.get(0) instanceof TableLine t ? Optional.of(t) : Optional.empty();
    }

    /**
     * The table as {@code dmsetup table} prints it and {@code dmsetup load} reads it.
     *
     * @return one line per target, each ending in a newline
     */
    public String format() {
        StringBuilder text = new StringBuilder();
        for (TargetLine line : lines) {
            text.append(line.line()).append('\n');
        }
        return text.toString();
    }
}
