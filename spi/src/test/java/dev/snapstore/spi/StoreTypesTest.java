package dev.snapstore.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.ArgumentMatchers.isNull;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The type-word lookup of dm_exception_store_create (spec §2.3, §6.9) over explicit provider lists. */
class StoreTypesTest {

    private static ExceptionStoreType type(String name) {
        ExceptionStoreType type = mock(ExceptionStoreType.class, "type" + name);
        when(type.name()).thenReturn(name);
        return type;
    }

    private final ExceptionStoreType p = type("P");
    private final ExceptionStoreType n = type("N");

    @ParameterizedTest(name = "{0} -> {1} with options {2}")
    @CsvSource(
            nullValues = "null",
            value = {
                "P,    P, null",
                "p,    P, null",
                "PO,   P, O",
                "po,   P, o",
                "POX,  P, OX",
                "PX,   P, X",
                "N,    N, null",
                "n,    N, null",
                "NO,   N, O",
                "Nfoo, N, foo",
            })
    void firstLetterPicksTheTypeCaseInsensitivelyAndTheRestAreOptions(String word, String letter, String options)
            throws StoreException {
        StoreTypes.Selection selection = StoreTypes.of(p, n).select(word);
        assertEquals(letter, selection.type().name());
        assertEquals(options, selection.options());
    }

    @ParameterizedTest
    @CsvSource({"X", "x", "Z", "1", "' '", "transient", "ÿP"})
    void anUnknownLetterGetsTheKernelsSentence(String word) {
        StoreException e =
                assertThrows(StoreException.class, () -> StoreTypes.of(p, n).select(word));
        assertEquals("Exception store type is not P or N", e.getMessage());
        assertEquals(Errno.EINVAL, e.errno());
    }

    @Test
    void theLongNameIsNotATypeWordItIsPWithOptions() throws StoreException {
        // fixture s6-errors case 13: "Persistent" reaches the persistent ctr with options "ersistent".
        StoreTypes.Selection selection = StoreTypes.of(p, n).select("Persistent");
        assertSame(p, selection.type());
        assertEquals("ersistent", selection.options());
    }

    @Test
    void anEmptyWordIsNotPOrN() {
        StoreException e =
                assertThrows(StoreException.class, () -> StoreTypes.of(p, n).select(""));
        assertEquals("Exception store type is not P or N", e.getMessage());
    }

    @Test
    void thirdPartyLettersAreListedInTheSameSentence() throws StoreException {
        StoreTypes types = StoreTypes.of(type("Z"), n, type("A"), p);
        StoreException e = assertThrows(StoreException.class, () -> types.select("X"));
        assertEquals("Exception store type is not P, N, A or Z", e.getMessage());
        assertEquals("Z", types.select("z").type().name());
        assertEquals(
                List.of("P", "N", "A", "Z"),
                types.all().stream().map(ExceptionStoreType::name).toList());
    }

    @Test
    void aMissingBuiltInTypeIsNotRecognised() {
        // The kernel's get_type() failing: the letter is P or N but no such type is registered.
        StoreTypes onlyN = StoreTypes.of(n);
        StoreException e = assertThrows(StoreException.class, () -> onlyN.select("P"));
        assertEquals("Exception store type not recognised", e.getMessage());
    }

    @Test
    void noProvidersAtAll() {
        StoreTypes none = StoreTypes.of();
        assertTrue(none.all().isEmpty());
        assertEquals(
                "Exception store type not recognised",
                assertThrows(StoreException.class, () -> none.select("N")).getMessage());
        assertEquals(
                "Exception store type is not P or N",
                assertThrows(StoreException.class, () -> none.select("Q")).getMessage());
    }

    @Test
    void twoTypesWithOneNameFailNamingBoth() {
        StoreTypes types = StoreTypes.of(p, n, type("P"));
        StoreTypeConfigurationException e = assertThrows(StoreTypeConfigurationException.class, types::all);
        assertTrue(e.getMessage().startsWith("Two exception store types are named P: "), e.getMessage());
        assertThrows(StoreTypeConfigurationException.class, () -> types.select("N"));
    }

    @ParameterizedTest
    @CsvSource({"PO", "p", "''", "1", "Ä"})
    void aNameThatIsNotOneCapitalLetterIsRefused(String name) {
        StoreTypes types = StoreTypes.of(type(name));
        StoreTypeConfigurationException e = assertThrows(StoreTypeConfigurationException.class, types::all);
        assertTrue(e.getMessage().contains("a name must be one letter A-Z"), e.getMessage());
    }

    @Test
    void aProviderThatCannotBeInstantiatedIsNamedWithWhereItCameFrom() {
        ServiceLoader.Provider<ExceptionStoreType> broken = new ServiceLoader.Provider<>() {
            @Override
            public Class<? extends ExceptionStoreType> type() {
                return ExceptionStoreType.class;
            }

            @Override
            public ExceptionStoreType get() {
                throw new ServiceConfigurationError("Provider x.Y could not be instantiated");
            }
        };
        StoreTypes types = StoreTypes.fromProviders(() -> Stream.of(broken));
        StoreTypeConfigurationException e = assertThrows(StoreTypeConfigurationException.class, types::all);
        assertEquals(
                "Exception store type dev.snapstore.spi.ExceptionStoreType (module dev.snapstore.spi) cannot be"
                        + " loaded: Provider x.Y could not be instantiated",
                e.getMessage());
    }

    @Test
    void aBrokenServicesFileIsReported() {
        StoreTypes types = StoreTypes.fromProviders(() -> {
            throw new ServiceConfigurationError("dev.snapstore.spi.ExceptionStoreType: Provider a.B not found");
        });
        StoreTypeConfigurationException e = assertThrows(StoreTypeConfigurationException.class, types::all);
        assertEquals(
                "Cannot load the exception store types: dev.snapstore.spi.ExceptionStoreType: Provider a.B not found",
                e.getMessage());
    }

    @Test
    void providersAreLoadedOncePerRegistry() {
        AtomicInteger loads = new AtomicInteger();
        StoreTypes types = StoreTypes.fromProviders(() -> {
            loads.incrementAndGet();
            return StoreTypes.of(p, n).all().stream().map(t -> new ServiceLoader.Provider<ExceptionStoreType>() {
                @Override
                public Class<? extends ExceptionStoreType> type() {
                    return t.getClass();
                }

                @Override
                public ExceptionStoreType get() {
                    return t;
                }
            });
        });
        types.all();
        types.all();
        assertSame(p, types.find("P").orElseThrow());
        assertTrue(types.find("Q").isEmpty());
        assertEquals(1, loads.get());
    }

    @Test
    void createChecksTypeThenChunkSizeThenCallsTheConstructorWithTheOptions() throws StoreException {
        MemoryBlockDevice cow = new MemoryBlockDevice("cow", 2048);
        ExceptionStore store = mock(ExceptionStore.class);
        when(p.create(any(), any())).thenReturn(store);
        StoreTypes types = StoreTypes.of(p, n);

        // Type first: a bad letter wins over a bad chunk size.
        assertEquals(
                "Exception store type is not P or N",
                assertThrows(StoreException.class, () -> types.create("X", "3", cow, 512, KernelLog.DISCARD))
                        .getMessage());
        // Chunk size before the constructor: the ctr is never reached.
        assertEquals(
                "Chunk size is not a power of 2",
                assertThrows(StoreException.class, () -> types.create("PX", "3", cow, 512, KernelLog.DISCARD))
                        .getMessage());
        verify(p, never()).create(any(), any());

        assertSame(store, types.create("po", "8", cow, 512, KernelLog.DISCARD));
        verify(p).create(eq(new StoreContext(cow, 8, 512, KernelLog.DISCARD)), eq("o"));
        types.create("P", "0", cow, 512, KernelLog.DISCARD);
        verify(p).create(eq(new StoreContext(cow, 0, 512, KernelLog.DISCARD)), isNull());
    }

    @Test
    void createChecksTheChunkSizeAgainstBothDevicesBlockSizes() {
        MemoryBlockDevice cow4k = new MemoryBlockDevice("cow", 2048, 4096);
        StoreTypes types = StoreTypes.of(p, n);
        assertEquals(
                "Chunk size is not a multiple of device blocksize",
                assertThrows(StoreException.class, () -> types.create("P", "4", cow4k, 512, KernelLog.DISCARD))
                        .getMessage());
        MemoryBlockDevice cow = new MemoryBlockDevice("cow", 2048);
        assertEquals(
                "Chunk size is not a multiple of device blocksize",
                assertThrows(StoreException.class, () -> types.create("P", "4", cow, 4096, KernelLog.DISCARD))
                        .getMessage());
    }

    @Test
    void realServiceLoaderLookupFromTheSpiAloneFindsNothing() {
        // The spi module on its own provides no type; the real discovery is tested from the CLI and
        // discovery-test modules, where the store jars are present.
        assertTrue(StoreTypes.load().all().stream().noneMatch(t -> t.name().equals("Z")));
    }
}
