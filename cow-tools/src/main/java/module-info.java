/**
 * The offline tools over a persistent COW, as library API: walking the exception table
 * ({@link dev.snapstore.cow.tools.CowTable}), the dump format in text and JSON, both ways
 * ({@link dev.snapstore.cow.tools.DumpText}, {@link dev.snapstore.cow.tools.DumpJson}), the check
 * with its findings as values ({@link dev.snapstore.cow.tools.CowCheck}), restoring a dump
 * ({@link dev.snapstore.cow.tools.CowRestore}) and formatting a new COW
 * ({@link dev.snapstore.cow.tools.CowCreate}). The command line's {@code dump}, {@code check},
 * {@code restore} and {@code create} only parse arguments and print what these return.
 */
module dev.snapstore.cow.tools {
    // The format's records, header and BlockDevice appear in this API.
    requires transitive dev.snapstore.cow;
    // The JSON dump (both ways) and the check report's JSON; no Jackson type appears in the API.
    requires com.fasterxml.jackson.databind;

    exports dev.snapstore.cow.tools;
}
