package dev.snapstore.dm;

import java.util.Optional;

/**
 * A feature argument of a {@code snapshot}/{@code snapshot-merge} table (snapshot 1.16.0,
 * snapshot-merge 1.5.0; see {@link Feature#DISCARD}). The kernel prints them in declaration order.
 *
 * @since 0.1
 */
public enum TableFeature {
    /** {@code discard_zeroes_cow}: a discard to the snapshot zeroes the COW chunks it covers. */
    DISCARD_ZEROES_COW("discard_zeroes_cow"),
    /** {@code discard_passdown_origin}: discards also go to the origin; needs {@link #DISCARD_ZEROES_COW}. */
    DISCARD_PASSDOWN_ORIGIN("discard_passdown_origin");

    private final String argName;

    TableFeature(String argName) {
        this.argName = argName;
    }

    /**
     * The argument as the kernel prints it.
     *
     * @return the lower-case name, e.g. {@code "discard_zeroes_cow"}
     */
    public String argName() {
        return argName;
    }

    /**
     * The feature an argument names, matched as the kernel's {@code strcasecmp} does (ASCII letters
     * only fold).
     *
     * @param arg a table argument
     * @return the feature, or empty when the kernel would say "Unrecognised feature requested"
     */
    public static Optional<TableFeature> forArg(String arg) {
        for (TableFeature feature : values()) {
            if (KernelText.equalsAsciiIgnoreCase(feature.argName, arg)) {
                return Optional.of(feature);
            }
        }
        return Optional.empty();
    }
}
