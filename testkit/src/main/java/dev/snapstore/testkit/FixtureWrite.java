package dev.snapstore.testkit;

import java.util.ArrayList;
import java.util.List;

/**
 * One line of a fixture's {@code writes.txt}: write {@code k} to {@code device} ({@code orig} or
 * {@code snap}) of {@code count} sectors from {@code sector}, in pieces of {@code pieceSectors}
 * (one {@code write()} each), with the pattern tagged {@code W<k>:<device>}.
 *
 * @param k the write's number
 * @param device {@code orig} or {@code snap}
 * @param sector the first sector
 * @param count the number of sectors
 * @param pieceSectors the size of each {@code write()} call in sectors
 */
public record FixtureWrite(int k, String device, long sector, int count, int pieceSectors) {

    /**
     * The pattern tag of this write's data.
     *
     * @return e.g. {@code W7:snap}
     */
    public String tag() {
        return "W" + k + ":" + device;
    }

    /**
     * Whether the write goes to the origin device.
     *
     * @return {@code true} for {@code orig}
     */
    public boolean toOrigin() {
        return device.equals("orig");
    }

    /**
     * Reads a fixture's {@code writes.txt}.
     *
     * @param fixture the fixture's name
     * @return the writes in order
     */
    public static List<FixtureWrite> of(String fixture) {
        List<FixtureWrite> writes = new ArrayList<>();
        for (String line : Fixtures.lines(fixture, "writes.txt")) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 4) {
                continue;
            }
            int count = Integer.parseInt(f[3]);
            int piece = f.length > 4 ? Integer.parseInt(f[4]) : count;
            writes.add(new FixtureWrite(Integer.parseInt(f[0]), f[1], Long.parseLong(f[2]), count, piece));
        }
        return writes;
    }
}
