/**
 * The kernel-facing text of dm-snapshot: {@code dmsetup targets} versions, the choice between
 * {@code P} and {@code PO}, and the {@code snapshot}/{@code snapshot-merge} table and status lines
 * in both directions. Free of CLI concerns, for volume managers to use.
 */
module dev.snapstore.dm {
    requires transitive dev.snapstore.spi;

    exports dev.snapstore.dm;
}
