package dev.snapstore.dm;

/**
 * A version-gated capability of the {@code snapshot} and {@code snapshot-merge} targets
 * (spec §5.13). The gate of each is {@link TargetKind#since(Feature)}.
 *
 * @since 0.1
 */
public enum Feature {
    /**
     * The persistent store option {@code O} ({@code PO}): a snapshot write to a full COW reports
     * {@code Overflow} and keeps the snapshot valid. Kernel commit b0d3cc011e53, snapshot 1.15.0,
     * snapshot-merge 1.4.0. Older kernels refuse {@code PO} ("Unsupported persistent store option").
     */
    OVERFLOW,
    /**
     * The feature arguments {@code discard_zeroes_cow} and {@code discard_passdown_origin}
     * ("dm snapshot: add optional discard support features"), snapshot 1.16.0, snapshot-merge 1.5.0.
     */
    DISCARD
}
