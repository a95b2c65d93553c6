package dev.snapstore.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.snapstore.engine.Activation;
import dev.snapstore.engine.Snapshot;
import dev.snapstore.engine.SnapshotTargetException;
import dev.snapstore.spi.StoreTypes;
import java.nio.file.Path;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

/**
 * {@code snapstore merge}: what {@code lvconvert --merge} has the kernel's {@code snapshot-merge}
 * target do, offline: the snapshot's chunks are copied back into the origin in origin order, the
 * origin is flushed, and only then is the COW's table emptied, in one commit, so an interruption at
 * any point loses nothing and a second run merges again ({@link Snapshot#mergeOffline}). The origin
 * ends as the kernel's newest-first merge leaves it.
 */
final class MergeCommand implements Command {

    private final StoreTypes types;

    MergeCommand(StoreTypes types) {
        this.types = types;
    }

    @Override
    public String name() {
        return "merge";
    }

    @Override
    public String synopsis() {
        return "--origin FILE --cow FILE [--json]";
    }

    @Override
    public String summary() {
        return "merge a persistent snapshot back into its origin (resumable; the COW ends empty)";
    }

    @Override
    public Options options() {
        return new Options()
                .addOption(SnapshotOptions.origin())
                .addOption(SnapshotOptions.waitLock())
                .addOption(SnapshotOptions.cow())
                .addOption(SnapshotOptions.json(
                        "{merged, before, status, origin, cow, type, chunkSize, table, valid, ...}"));
    }

    @Override
    public String footer() {
        return "Changes the origin. Safe to interrupt: run it again to finish. Exit 1 when the kernel would fail the"
                + " merge (an invalid snapshot, an I/O error). Example: snapstore merge --origin origin.img --cow cow.img";
    }

    @Override
    public ExitStatus run(CommandLine line, Io io) throws CliException {
        Path originPath = SnapshotOptions.path(line, "origin");
        Path cowPath = SnapshotOptions.path(line, "cow");
        try (ImageActivation activation = ImageActivation.open(
                name(),
                types,
                originPath,
                cowPath,
                StoreTypes.PERSISTENT,
                "0",
                Activation.Access.ORIGIN_AND_COW,
                true,
                SnapshotOptions.locking(line),
                io)) {
            Snapshot snapshot = activation.snapshot();
            if (!snapshot.isValid()) {
                throw CliException.no(name() + ": Snapshot is invalid: can't merge (" + cowPath + " was invalidated)");
            }
            String before = snapshot.status().format();
            long pending = snapshot.exceptionCount();
            try {
                snapshot.startMerge();
            } catch (SnapshotTargetException e) {
                throw CliException.usage(name() + ": " + e.getMessage());
            }
            long merged;
            try (Progress progress = Progress.start(io, "merge", pending, "chunks", 1)) {
                // Nothing else uses the origin: every chunk at once, one origin flush, one commit.
                merged = snapshot.mergeOffline(progress::stepBy);
            }
            if (snapshot.isMergeFailed() || !snapshot.isMergeFinished()) {
                throw CliException.no(name() + ": the merge stopped after " + merged + " of " + pending + " chunks ("
                        + snapshot.status() + "); the kernel's words are above. Run it again to carry on once the cause"
                        + " is fixed");
            }
            if (line.hasOption("json")) {
                ObjectNode node = Json.object();
                node.put("merged", merged);
                node.put("before", before);
                node.setAll(SnapshotOptions.state(activation));
                Json.print(io, node);
            } else {
                io.out()
                        .println("before: " + before + " (" + pending + " chunk" + (pending == 1 ? "" : "s")
                                + " to merge)");
                io.out()
                        .println("merged " + merged + " chunk" + (merged == 1 ? "" : "s") + " into " + originPath
                                + "; the COW's table is empty");
                io.out().println(snapshot.status());
            }
        }
        return ExitStatus.OK;
    }
}
