package dev.snapstore.store.persistent;

import dev.snapstore.spi.Errno;
import dev.snapstore.spi.ExceptionStore;
import dev.snapstore.spi.ExceptionStoreType;
import dev.snapstore.spi.StoreContext;
import dev.snapstore.spi.StoreException;

/**
 * The persistent store type {@code P} of dm-snap-persistent.c. Only the first option letter is
 * examined, as in {@code persistent_ctr}: {@code O} (any case) turns on overflow support, so
 * {@code PO}, {@code Po} and {@code POX} are all {@code PO}; anything else is refused.
 */
public final class PersistentStoreType implements ExceptionStoreType {

    /** The kernel's {@code DM_MSG_PREFIX} for this store. */
    static final String LOG_PREFIX = "persistent snapshot";

    @Override
    public String name() {
        return "P";
    }

    @Override
    public String longName() {
        return "persistent";
    }

    @Override
    public String description() {
        return "exceptions kept on the COW device in the kernel's format; survives reboots and can merge";
    }

    @Override
    public String optionsHelp() {
        return "O = overflow: a snapshot write to a full COW fails with EIO and the snapshot stays valid";
    }

    @Override
    public boolean supportsMerge() {
        return true;
    }

    /** Chunk size 0 takes the header's, or the default on a blank COW (read_header). */
    @Override
    public boolean takesChunkSizeFromCow() {
        return true;
    }

    @Override
    public ExceptionStore create(StoreContext context, String options) throws StoreException {
        boolean overflow = false;
        if (options != null) {
            char first = options.isEmpty() ? '\0' : options.charAt(0);
            if (first == 'O' || first == 'o') {
                overflow = true;
            } else {
                String message = "Unsupported persistent store option: " + options;
                context.log().dm(LOG_PREFIX, message);
                throw new StoreException(Errno.EINVAL, message);
            }
        }
        return new PersistentStore(context, overflow, AreaReader.ReadAhead.ADAPTIVE);
    }
}
