package dev.snapstore.dm;

import java.util.Objects;
import java.util.Set;

/**
 * What {@link Negotiator#negotiate} decided: the type word to put in the table, for which target
 * and version, why, and which other version-gated features that target has.
 *
 * @param typeWord {@code "PO"}, {@code "P"} or {@code "N"}
 * @param target the target the table uses, {@code "snapshot"} or {@code "snapshot-merge"}
 * @param version that target's loaded version
 * @param reason one sentence for a person, e.g.
 *     {@code snapshot target v1.16.0 >= 1.15.0: overflow supported, asking for PO}
 * @param features the features the table may use with this target and store (immutable)
 * @since 0.1
 */
public record Negotiation(String typeWord, String target, TargetVersion version, String reason, Set<Feature> features) {

    /**
     * Checks and copies the arguments.
     *
     * @param typeWord the type word
     * @param target the target name
     * @param version the target version
     * @param reason the reason
     * @param features the features
     */
    public Negotiation {
        Objects.requireNonNull(typeWord, "typeWord");
        if (TargetKind.forName(Objects.requireNonNull(target, "target")).isEmpty()) {
            throw new IllegalArgumentException("not a snapshot target: " + target);
        }
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(reason, "reason");
        features = Set.copyOf(features);
    }

    /**
     * The target as a {@link TargetKind}.
     *
     * @return the kind
     */
    public TargetKind kind() {
        return TargetKind.forName(target).orElseThrow();
    }

    /**
     * Whether a feature may be used.
     *
     * @param feature the feature
     * @return {@code true} when it is in {@link #features()}
     */
    public boolean supports(Feature feature) {
        return features.contains(feature);
    }
}
