package dev.snapstore.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.snapstore.spi.ExceptionStoreType;
import dev.snapstore.spi.StoreTypes;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/** {@code snapstore types}: the exception store types this installation has. */
final class TypesCommand implements Command {

    private final StoreTypes types;

    TypesCommand(StoreTypes types) {
        this.types = types;
    }

    @Override
    public String name() {
        return "types";
    }

    @Override
    public String synopsis() {
        return "";
    }

    @Override
    public String summary() {
        return "list the exception store types (type words) this installation can use";
    }

    @Override
    public Options options() {
        return new Options()
                .addOption(Option.builder()
                        .longOpt("json")
                        .desc("JSON: {types: [{letter, name, options, module, description}]}")
                        .get());
    }

    @Override
    public String footer() {
        return "One line per type: its letter, then its options, the module that provides it and what it does.";
    }

    @Override
    public ExitStatus run(CommandLine line, Io io) {
        if (line.hasOption("json")) {
            ObjectNode root = Json.object();
            ArrayNode list = root.putArray("types");
            for (ExceptionStoreType type : types.all()) {
                list.addObject()
                        .put("letter", type.name())
                        .put("name", type.longName())
                        .put("options", type.optionsHelp())
                        .put("module", moduleOf(type))
                        .put("description", type.description());
            }
            Json.print(io, root);
            return ExitStatus.OK;
        }
        for (ExceptionStoreType type : types.all()) {
            String options = type.optionsHelp().isEmpty() ? "none" : type.optionsHelp();
            io.out()
                    .printf(
                            "%s  %-10s  options: %s; module: %s; %s%n",
                            type.name(), type.longName(), options, moduleOf(type), type.description());
        }
        return ExitStatus.OK;
    }

    static String moduleOf(ExceptionStoreType type) {
        Module module = type.getClass().getModule();
        return module.isNamed() ? module.getName() : "class path";
    }
}
