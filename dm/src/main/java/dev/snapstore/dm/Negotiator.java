package dev.snapstore.dm;

import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * Chooses the exception store type word for a table from the loaded target versions, as Android's
 * libdm does in {@code DmTargetSnapshot::ReportsOverflow} ({@code fs_mgr/libdm/dm_target.cpp}):
 * a persistent store asks for {@code PO} only when the target knows the overflow option
 * ({@code snapshot >= 1.15.0}, {@code snapshot-merge >= 1.4.0}), otherwise {@code P}; a transient
 * store is always {@code N}. Unlike Android, which silently falls back to {@code P} when the target
 * is not listed, a missing target is an error here: the table would not load anyway.
 *
 * <p>Note that lvm2 never asks for {@code PO} (its emitter prints one {@code %c}); a table meant
 * for an lvm2-managed volume should stay {@code P}, whatever this class says.
 *
 * @since 0.1
 */
public final class Negotiator {

    /** {@code snapshot} versions from this one on accept {@code PO}. */
    public static final TargetVersion SNAPSHOT_OVERFLOW = TargetKind.SNAPSHOT.since(Feature.OVERFLOW);
    /** {@code snapshot-merge} versions from this one on accept {@code PO}. */
    public static final TargetVersion SNAPSHOT_MERGE_OVERFLOW = TargetKind.SNAPSHOT_MERGE.since(Feature.OVERFLOW);
    /** {@code snapshot} versions from this one on accept the discard feature arguments. */
    public static final TargetVersion SNAPSHOT_DISCARD = TargetKind.SNAPSHOT.since(Feature.DISCARD);
    /** {@code snapshot-merge} versions from this one on accept the discard feature arguments. */
    public static final TargetVersion SNAPSHOT_MERGE_DISCARD = TargetKind.SNAPSHOT_MERGE.since(Feature.DISCARD);

    /** The kernel's refusal of a transient store for snapshot-merge (fixture s6-errors case 47). */
    public static final String MERGE_NEEDS_PERSISTENT = KernelMessages.MERGE_NOT_SUPPORTED;

    private Negotiator() {}

    /**
     * Decides the type word.
     *
     * @param versions the loaded targets
     * @param merge {@code true} for a {@code snapshot-merge} table, {@code false} for {@code snapshot}
     * @param transientStore {@code true} to ask for the transient store {@code N}
     * @return the decision
     * @throws TargetException when a transient store is asked for with merge (the kernel refuses it
     *     with {@value #MERGE_NEEDS_PERSISTENT}), or when the target is not loaded
     */
    public static Negotiation negotiate(TargetVersions versions, boolean merge, boolean transientStore)
            throws TargetException {
        Objects.requireNonNull(versions, "versions");
        TargetKind kind = merge ? TargetKind.SNAPSHOT_MERGE : TargetKind.SNAPSHOT;
        if (merge && transientStore) {
            throw new TargetException(
                    "a transient (N) store cannot be merged: the kernel refuses snapshot-merge with N (\""
                            + MERGE_NEEDS_PERSISTENT + "\")");
        }
        TargetVersion version = versions.require(kind.targetName());
        TargetVersion overflowGate = kind.since(Feature.OVERFLOW);
        Set<Feature> features = EnumSet.noneOf(Feature.class);
        if (version.isAtLeast(kind.since(Feature.DISCARD))) {
            features.add(Feature.DISCARD);
        }
        String subject = kind.targetName() + " target v" + version;
        if (transientStore) {
            return new Negotiation(
                    "N",
                    kind.targetName(),
                    version,
                    "transient store requested, asking for N (" + subject + "; overflow needs a persistent store)",
                    features);
        }
        if (version.isAtLeast(overflowGate)) {
            features.add(Feature.OVERFLOW);
            return new Negotiation(
                    "PO",
                    kind.targetName(),
                    version,
                    subject + " >= " + overflowGate + ": overflow supported, asking for PO",
                    features);
        }
        return new Negotiation(
                "P",
                kind.targetName(),
                version,
                subject + " < " + overflowGate
                        + ": no overflow support, asking for P (a full COW will invalidate the snapshot)",
                features);
    }
}
