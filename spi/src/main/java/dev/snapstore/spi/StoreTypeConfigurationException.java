package dev.snapstore.spi;

/**
 * The installed store types cannot be used: two share a name, one has a name that is not a letter,
 * or {@link java.util.ServiceLoader} cannot load one. The message names the provider and the module
 * or jar it came from.
 *
 * @since 0.1
 */
public class StoreTypeConfigurationException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what is wrong and where
     */
    public StoreTypeConfigurationException(String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message what is wrong and where
     * @param cause the underlying error
     */
    public StoreTypeConfigurationException(String message, Throwable cause) {
        super(message, cause);
    }
}
