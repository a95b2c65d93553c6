package dev.snapstore.spi;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The exception store types available to this program, and the lookup by type word that
 * {@code dm_exception_store_create} does: the first letter, upper-cased, picks the type; the rest of
 * the word is handed to the type as options.
 *
 * <p>The providers are found lazily, once per instance, and cached; an instance is safe to share
 * between threads. Problems with the installation (two types with one name, a provider that
 * {@code ServiceLoader} cannot load, a name that is not one letter) fail every lookup with a
 * {@link StoreTypeConfigurationException} that names the provider and where it came from.
 *
 * @since 0.1
 */
public final class StoreTypes {

    /** The letter of the kernel's persistent store type. */
    public static final String PERSISTENT = "P";
    /** The letter of the kernel's transient store type. */
    public static final String TRANSIENT = "N";

    /** The kernel's message when a P or N type is not available. */
    public static final String NOT_RECOGNISED = "Exception store type not recognised";

    private final Supplier<Stream<ServiceLoader.Provider<ExceptionStoreType>>> source;
    private volatile List<ExceptionStoreType> types;

    private StoreTypes(Supplier<Stream<ServiceLoader.Provider<ExceptionStoreType>>> source) {
        this.source = source;
    }

    /**
     * The types that {@link ServiceLoader} finds from this module's layer and the context class
     * loader: the module path and the class path.
     *
     * @return a registry that loads the providers on first use
     */
    public static StoreTypes load() {
        return new StoreTypes(() -> ServiceLoader.load(ExceptionStoreType.class).stream());
    }

    /**
     * The types that {@link ServiceLoader} finds through a given class loader.
     *
     * @param loader the class loader to search, e.g. a {@link java.net.URLClassLoader} over plug-in
     *     jars
     * @return a registry that loads the providers on first use
     */
    public static StoreTypes load(ClassLoader loader) {
        Objects.requireNonNull(loader, "loader");
        return new StoreTypes(() -> ServiceLoader.load(ExceptionStoreType.class, loader).stream());
    }

    /**
     * The types from any source of {@link ServiceLoader.Provider}s: the seam for this package's
     * tests, which feed it providers that fail.
     *
     * @param providers supplies the providers; may throw {@link ServiceConfigurationError}
     * @return a registry that reads the providers on first use
     */
    static StoreTypes fromProviders(Supplier<Stream<ServiceLoader.Provider<ExceptionStoreType>>> providers) {
        return new StoreTypes(Objects.requireNonNull(providers, "providers"));
    }

    /**
     * A fixed set of types, without {@link ServiceLoader}.
     *
     * @param types the types
     * @return a registry over exactly these types
     */
    public static StoreTypes of(ExceptionStoreType... types) {
        List<ExceptionStoreType> list = List.of(types);
        return new StoreTypes(() -> list.stream().map(FixedProvider::new));
    }

    /**
     * Every available type, the kernel's P and N first, then the others by letter.
     *
     * @return an immutable list
     * @throws StoreTypeConfigurationException when the installation is broken
     */
    public List<ExceptionStoreType> all() {
        List<ExceptionStoreType> result = types;
        if (result == null) {
            synchronized (this) {
                result = types;
                if (result == null) {
                    result = discover();
                    types = result;
                }
            }
        }
        return result;
    }

    /**
     * The type with this exact letter.
     *
     * @param name the letter, e.g. {@code "P"}
     * @return the type, or empty when none has this name
     * @throws StoreTypeConfigurationException when the installation is broken
     * @since 0.2 (returned the type or {@code null} before)
     */
    public Optional<ExceptionStoreType> find(String name) {
        for (ExceptionStoreType type : all()) {
            if (type.name().equals(name)) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }

    /**
     * Picks the type for a type word, as {@code dm_exception_store_create} does.
     *
     * @param typeWord the table's type word, e.g. {@code "po"}
     * @return the type and the options after the first letter
     * @throws StoreException {@code "Exception store type is not P or N"} (listing every available
     *     letter when there are third-party types), or {@code "Exception store type not recognised"}
     *     when P or N is asked for but not installed
     * @throws StoreTypeConfigurationException when the installation is broken
     */
    public Selection select(String typeWord) throws StoreException {
        Objects.requireNonNull(typeWord, "typeWord");
        String letter = typeWord.isEmpty() ? "" : asciiUpper(typeWord.charAt(0));
        String options = typeWord.length() > 1 ? typeWord.substring(1) : null;
        ExceptionStoreType type = letter.isEmpty() ? null : find(letter).orElse(null);
        if (type != null) {
            return new Selection(type, options);
        }
        if (letter.equals(PERSISTENT) || letter.equals(TRANSIENT)) {
            throw new StoreException(Errno.EINVAL, NOT_RECOGNISED);
        }
        throw new StoreException(Errno.EINVAL, notPOrN());
    }

    /**
     * Builds a store from a table's type word and chunk-size argument in the kernel's order: type,
     * chunk size, then the type's constructor with the options.
     *
     * @param typeWord the type word, e.g. {@code "PO"}
     * @param chunkSizeArg the chunk-size argument, e.g. {@code "8"}
     * @param cow the COW device
     * @param originBlockSize the origin's logical block size in bytes
     * @param log where kernel log lines go
     * @return the new store, metadata not yet read
     * @throws StoreException with the kernel's inner message
     */
    public ExceptionStore create(
            String typeWord, String chunkSizeArg, BlockDevice cow, int originBlockSize, KernelLog log)
            throws StoreException {
        Selection selection = select(typeWord);
        int chunkSize = ChunkSize.parseAndValidate(chunkSizeArg, cow.logicalBlockSize(), originBlockSize);
        return selection.type().create(new StoreContext(cow, chunkSize, originBlockSize, log), selection.options());
    }

    /**
     * The kernel's sentence for an unknown letter. While P and N are the only types it is exactly
     * {@code "Exception store type is not P or N"}; third-party letters are added in order.
     *
     * @return the message
     */
    String notPOrN() {
        List<String> letters = new ArrayList<>(List.of(PERSISTENT, TRANSIENT));
        for (ExceptionStoreType type : all()) {
            if (!letters.contains(type.name())) {
                letters.add(type.name());
            }
        }
        String head = String.join(", ", letters.subList(0, letters.size() - 1));
        return "Exception store type is not " + head + " or " + letters.get(letters.size() - 1);
    }

    /**
     * A type chosen by a type word, with the word's options.
     *
     * @param type the type
     * @param options the type word after its first letter, or {@code null} for a one-letter word
     */
    public record Selection(ExceptionStoreType type, String options) {}

    private List<ExceptionStoreType> discover() {
        Map<String, ExceptionStoreType> byName = new LinkedHashMap<>();
        try (Stream<ServiceLoader.Provider<ExceptionStoreType>> providers = source.get()) {
            providers.forEachOrdered(provider -> {
                ExceptionStoreType type = instantiate(provider);
                String name = type.name();
                if (name == null || name.length() != 1 || name.charAt(0) < 'A' || name.charAt(0) > 'Z') {
                    throw new StoreTypeConfigurationException("Exception store type " + describe(type.getClass())
                            + " has the name \"" + name + "\"; a name must be one letter A-Z");
                }
                ExceptionStoreType clash = byName.putIfAbsent(name, type);
                if (clash != null) {
                    throw new StoreTypeConfigurationException("Two exception store types are named " + name + ": "
                            + describe(clash.getClass()) + " and " + describe(type.getClass()));
                }
            });
        } catch (ServiceConfigurationError e) {
            throw new StoreTypeConfigurationException("Cannot load the exception store types: " + e.getMessage(), e);
        }
        return byName.values().stream()
                .sorted(Comparator.comparingInt(StoreTypes::kernelRank).thenComparing(ExceptionStoreType::name))
                .collect(Collectors.toUnmodifiableList());
    }

    private static ExceptionStoreType instantiate(ServiceLoader.Provider<ExceptionStoreType> provider) {
        try {
            return Objects.requireNonNull(provider.get(), "provider returned null");
        } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
            throw new StoreTypeConfigurationException(
                    "Exception store type " + describe(provider.type()) + " cannot be loaded: " + e.getMessage(), e);
        }
    }

    private static int kernelRank(ExceptionStoreType type) {
        return switch (type.name()) {
            case PERSISTENT -> 0;
            case TRANSIENT -> 1;
            default -> 2;
        };
    }

    /** A class name with the module or jar it came from, so a broken plug-in can be found. */
    static String describe(Class<?> type) {
        Module module = type.getModule();
        String where;
        if (module.isNamed()) {
            where = "module " + module.getName();
        } else {
            var source = type.getProtectionDomain().getCodeSource();
            where = source == null || source.getLocation() == null
                    ? "class path"
                    : source.getLocation().toString();
        }
        return type.getName() + " (" + where + ")";
    }

    private static String asciiUpper(char c) {
        // The kernel's toupper() changes only ASCII letters.
        return c >= 'a' && c <= 'z' ? String.valueOf((char) (c - 'a' + 'A')) : String.valueOf(c);
    }

    private record FixedProvider(ExceptionStoreType instance) implements ServiceLoader.Provider<ExceptionStoreType> {
        @Override
        public Class<? extends ExceptionStoreType> type() {
            return instance.getClass();
        }

        @Override
        public ExceptionStoreType get() {
            return instance;
        }
    }
}
