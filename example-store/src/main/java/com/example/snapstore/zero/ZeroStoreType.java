package com.example.snapstore.zero;

import dev.snapstore.spi.ExceptionStore;
import dev.snapstore.spi.ExceptionStoreType;
import dev.snapstore.spi.StoreContext;

/**
 * The example store type {@code Z}: a store that never has room, so every snapshot made with it
 * behaves like one whose COW is already full. Small enough to read in one sitting, and useful for
 * testing how a volume manager handles invalidation and overflow. Option {@code O} turns on
 * overflow support, as for {@code P}; other options are ignored.
 */
public final class ZeroStoreType implements ExceptionStoreType {

    @Override
    public String name() {
        return "Z";
    }

    @Override
    public String longName() {
        return "zero";
    }

    @Override
    public String description() {
        return "example third-party store that never has room: every copy-out finds the COW full";
    }

    @Override
    public String optionsHelp() {
        return "O = overflow support";
    }

    @Override
    public ExceptionStore create(StoreContext context, String options) {
        boolean overflow = options != null && !options.isEmpty() && Character.toUpperCase(options.charAt(0)) == 'O';
        return new ZeroStore(context, overflow);
    }
}
