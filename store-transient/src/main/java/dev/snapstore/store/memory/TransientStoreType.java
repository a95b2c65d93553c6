package dev.snapstore.store.memory;

import dev.snapstore.spi.ExceptionStore;
import dev.snapstore.spi.ExceptionStoreType;
import dev.snapstore.spi.StoreContext;

/**
 * The transient store type {@code N} of dm-snap-transient.c. Options after the letter are ignored,
 * as the kernel ignores them: {@code N}, {@code NO} and {@code Nfoo} are the same store.
 */
public final class TransientStoreType implements ExceptionStoreType {

    @Override
    public String name() {
        return "N";
    }

    @Override
    public String longName() {
        return "transient";
    }

    @Override
    public String description() {
        return "exceptions kept in memory only; the COW is used linearly from chunk 0 and lost on deactivation";
    }

    @Override
    public String optionsHelp() {
        return "any, ignored (NO and Nfoo are N)";
    }

    @Override
    public ExceptionStore create(StoreContext context, String options) {
        return new TransientStore(context);
    }
}
