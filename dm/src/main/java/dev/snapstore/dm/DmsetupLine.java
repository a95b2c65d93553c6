package dev.snapstore.dm;

/**
 * A line in {@code dmsetup table} or {@code dmsetup status} form:
 * {@code <start> <length> <target> <params>}.
 *
 * @since 0.1
 */
public sealed interface DmsetupLine permits TableLine, StatusLine {

    /**
     * The first sector the line covers.
     *
     * @return the start sector
     */
    long start();

    /**
     * How many sectors the line covers.
     *
     * @return the length in sectors
     */
    long length();

    /**
     * The target.
     *
     * @return the target kind
     */
    TargetKind kind();

    /**
     * The parameters as {@code dmsetup} prints them after the target name.
     *
     * @return the parameter text
     */
    String params();

    /**
     * The whole line as {@code dmsetup} prints it for one device:
     * {@code start + " " + length + " " + target + " " + params}.
     *
     * @return the line, without a newline
     */
    default String format() {
        return start() + " " + length() + " " + kind().targetName() + " " + params();
    }
}
