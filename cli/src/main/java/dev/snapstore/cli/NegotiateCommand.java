package dev.snapstore.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.snapstore.dm.Feature;
import dev.snapstore.dm.Negotiation;
import dev.snapstore.dm.Negotiator;
import dev.snapstore.dm.TargetException;
import dev.snapstore.dm.TargetVersions;
import dev.snapstore.dm.VersionSource;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/** {@code snapstore negotiate}: which type word to ask the running kernel (or a targets listing) for. */
final class NegotiateCommand implements Command {

    @Override
    public String name() {
        return "negotiate";
    }

    @Override
    public String synopsis() {
        return "[--targets FILE|-] [--merge] [--transient]";
    }

    @Override
    public String summary() {
        return "choose P, PO or N for a snapshot table from the kernel's target versions";
    }

    @Override
    public Options options() {
        return new Options()
                .addOption(Option.builder()
                        .longOpt("targets")
                        .hasArg()
                        .argName("FILE|-")
                        .desc("'dmsetup targets' output to read ('-' = standard input); default: run 'dmsetup targets'")
                        .get())
                .addOption(Option.builder()
                        .longOpt("merge")
                        .desc("for a snapshot-merge table (PO needs snapshot-merge >= 1.4.0)")
                        .get())
                .addOption(Option.builder()
                        .longOpt("transient")
                        .desc("for a transient (N) snapshot")
                        .get())
                .addOption(Option.builder()
                        .longOpt("json")
                        .desc("JSON: {typeWord, target, version, reason, features: [...]}")
                        .get());
    }

    @Override
    public String footer() {
        return "The first line of output is the type word; the next says why, then the version-gated features."
                + " PO is asked for only when the snapshot target is 1.15.0 or later (snapshot-merge 1.4.0), as Android's"
                + " libdm does; older kernels get P. Exit 1 when a needed target is missing.";
    }

    @Override
    public ExitStatus run(CommandLine line, Io io) throws CliException {
        boolean merge = line.hasOption("merge");
        boolean transientStore = line.hasOption("transient");
        if (merge && transientStore) {
            throw CliException.usage(
                    "negotiate: --merge and --transient do not go together: " + Negotiator.MERGE_NEEDS_PERSISTENT);
        }
        TargetVersions versions = read(line, io);
        Negotiation negotiation;
        try {
            negotiation = Negotiator.negotiate(versions, merge, transientStore);
        } catch (TargetException e) {
            throw CliException.no("negotiate: " + e.getMessage());
        }
        List<String> features = negotiation.features().stream()
                .map(Feature::name)
                .map(f -> f.toLowerCase(Locale.ROOT))
                .sorted()
                .toList();
        if (line.hasOption("json")) {
            ObjectNode root = Json.object()
                    .put("typeWord", negotiation.typeWord())
                    .put("target", negotiation.target())
                    .put("version", negotiation.version().toString())
                    .put("reason", negotiation.reason());
            features.forEach(root.putArray("features")::add);
            Json.print(io, root);
            return ExitStatus.OK;
        }
        io.out().println(negotiation.typeWord());
        io.out().println(negotiation.reason());
        io.out().println("features: " + (features.isEmpty() ? "none" : String.join(", ", features)));
        return ExitStatus.OK;
    }

    private static TargetVersions read(CommandLine line, Io io) throws CliException {
        String targets = line.getOptionValue("targets");
        VersionSource source = targets == null
                ? VersionSource.dmsetup()
                : targets.equals("-")
                        ? VersionSource.ofStream(io.in(), "standard input")
                        : VersionSource.ofFile(Path.of(targets));
        try {
            return source.read();
        } catch (TargetException e) {
            throw CliException.usage("negotiate: " + e.getMessage());
        }
    }
}
