package dev.snapstore.dm;

import dev.snapstore.spi.Errno;
import dev.snapstore.spi.StoreException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@code snapshot}/{@code snapshot-merge} table line that the kernel would refuse, with the
 * kernel's own words: {@link #kernelMessage()} is the {@code ti->error} text of
 * {@code snapshot_ctr} and {@link #errno()} its error number; when the exception store could not be
 * created, the store's reason, which the kernel hides behind "Couldn't create exception store", is
 * kept in {@link #innerReason()} and {@link #getCause()}.
 *
 * <p>A line that is not a snapshot table line at all (not {@code <start> <length> <target> ...},
 * another target) is reported with this exception too, but {@link #isKernelError()} is then
 * {@code false}: {@code dmsetup} or the device-mapper core would refuse it before the target does.
 *
 * @since 0.1
 */
public class TableException extends Exception {

    private static final long serialVersionUID = 1L;

    /** {@link KernelMessages#REQUIRES_4_ARGUMENTS}. */
    public static final String REQUIRES_4_ARGUMENTS = KernelMessages.REQUIRES_4_ARGUMENTS;
    /** {@link KernelMessages#INVALID_FEATURE_COUNT}. */
    public static final String INVALID_FEATURE_COUNT = KernelMessages.INVALID_FEATURE_COUNT;
    /** {@link KernelMessages#UNRECOGNISED_FEATURE}. */
    public static final String UNRECOGNISED_FEATURE = KernelMessages.UNRECOGNISED_FEATURE;
    /** {@link KernelMessages#PASSDOWN_NEEDS_ZEROES}. */
    public static final String PASSDOWN_NEEDS_ZEROES = KernelMessages.PASSDOWN_NEEDS_ZEROES;
    /** {@link KernelMessages#SAME_DEVICE}. */
    public static final String SAME_DEVICE = KernelMessages.SAME_DEVICE;
    /** {@link KernelMessages#STORE_NOT_CREATED}; the store's reason is the inner reason. */
    public static final String STORE_NOT_CREATED = KernelMessages.STORE_NOT_CREATED;
    /** {@link KernelMessages#MERGE_NOT_SUPPORTED}. */
    public static final String MERGE_NOT_SUPPORTED = KernelMessages.MERGE_NOT_SUPPORTED;
    /** {@link KernelMessages#CHUNK_SIZE_NOT_SET}. */
    public static final String CHUNK_SIZE_NOT_SET = KernelMessages.CHUNK_SIZE_NOT_SET;

    /** The kernel's errors that need the real devices, which {@link TableLine#validate} does not check. */
    public static final List<String> DEVICE_ERRORS = List.of(
            KernelMessages.CANNOT_GET_ORIGIN, KernelMessages.CANNOT_GET_COW, KernelMessages.READ_METADATA_FAILED);

    /** The refusing target; {@code null} for a non-kernel error. */
    private final TargetKind target;
    /** The {@code ti->error} text. */
    private final String kernelMessage;
    /** The error number of the failed load. */
    private final Errno errno;
    /** The store's reason behind "Couldn't create exception store", or {@code null}. */
    private final String innerReason;
    /** Lines the store logged before failing (an ArrayList: fields of a Serializable class should be serializable). */
    private final ArrayList<String> storeLog;
    /** Whether snapshot_ctr gives this error. */
    private final boolean kernelError;

    private TableException(
            String message,
            TargetKind target,
            String kernelMessage,
            Errno errno,
            String innerReason,
            List<String> storeLog,
            boolean kernelError,
            Throwable cause) {
        super(message, cause);
        this.target = target;
        this.kernelMessage = kernelMessage;
        this.errno = errno;
        this.innerReason = innerReason;
        this.storeLog = new ArrayList<>(storeLog);
        this.kernelError = kernelError;
    }

    /**
     * A refusal by {@code snapshot_ctr}.
     *
     * @param target the target whose constructor refuses
     * @param kernelMessage the {@code ti->error} text
     * @return the exception, errno {@link Errno#EINVAL}
     */
    static TableException kernel(TargetKind target, String kernelMessage) {
        return new TableException(
                kernelMessage,
                Objects.requireNonNull(target),
                kernelMessage,
                Errno.EINVAL,
                null,
                List.of(),
                true,
                null);
    }

    /**
     * A refusal by {@code snapshot_ctr} with its own error number and the failure underneath, such
     * as {@link KernelMessages#READ_METADATA_FAILED} with the store's error.
     *
     * @param target the target whose constructor refuses
     * @param kernelMessage the {@code ti->error} text
     * @param errno the error number
     * @param cause the failure underneath
     * @return the exception
     */
    static TableException kernel(TargetKind target, String kernelMessage, Errno errno, Throwable cause) {
        return new TableException(
                kernelMessage,
                Objects.requireNonNull(target),
                kernelMessage,
                Objects.requireNonNull(errno),
                null,
                List.of(),
                true,
                cause);
    }

    /**
     * "Couldn't create exception store" with the store's reason.
     *
     * @param target the target
     * @param cause the store's failure; its message is the inner reason
     * @param storeLog lines the store logged meanwhile, e.g. "Unsupported persistent store option: X"
     * @return the exception, errno {@link Errno#EINVAL} as snapshot_ctr forces it
     */
    static TableException storeNotCreated(TargetKind target, StoreException cause, List<String> storeLog) {
        return new TableException(
                STORE_NOT_CREATED + ": " + cause.getMessage(),
                Objects.requireNonNull(target),
                STORE_NOT_CREATED,
                Errno.EINVAL,
                cause.getMessage(),
                new ArrayList<>(storeLog),
                true,
                cause);
    }

    /**
     * A refusal by another target's constructor ({@code linear}, {@code snapshot-origin}) or by
     * dm-table itself, which has no {@link TargetKind}.
     *
     * @param targetName the target, e.g. {@code "linear"}, for the message
     * @param kernelMessage the kernel's text
     * @return the exception, errno {@link Errno#EINVAL}; {@link #isKernelError()} is false because
     *     {@link #kernelLogLine} is snapshot_ctr's form
     */
    static TableException other(String targetName, String kernelMessage) {
        return new TableException(
                targetName + ": " + kernelMessage, null, kernelMessage, Errno.EINVAL, null, List.of(), false, null);
    }

    /**
     * A line that is not a snapshot table line at all.
     *
     * @param message what is wrong, for a person
     * @return the exception
     */
    static TableException syntax(String message) {
        return new TableException(message, null, message, Errno.EINVAL, null, List.of(), false, null);
    }

    /**
     * The kernel's {@code ti->error} text, or for a non-kernel error the same text as {@link #getMessage()}.
     *
     * @return e.g. {@code "Couldn't create exception store"}
     */
    public String kernelMessage() {
        return kernelMessage;
    }

    /**
     * The error number the table load fails with.
     *
     * @return {@link Errno#EINVAL} for every error of a table line; the store's error for
     *     {@link KernelMessages#READ_METADATA_FAILED}
     */
    public Errno errno() {
        return errno;
    }

    /**
     * The store's own reason behind "Couldn't create exception store".
     *
     * @return e.g. {@code "Exception store type is not P or N"}, {@code "Invalid chunk size"},
     *     {@code "Unsupported persistent store option: X"}; empty for other errors
     */
    public Optional<String> innerReason() {
        return Optional.ofNullable(innerReason);
    }

    /**
     * The target whose constructor refused the line.
     *
     * @return the target, empty for a non-kernel error
     */
    public Optional<TargetKind> target() {
        return Optional.ofNullable(target);
    }

    /**
     * Whether {@code snapshot_ctr} itself gives this error (as opposed to a line this library cannot
     * read as a snapshot table line).
     *
     * @return {@code true} for the target's errors
     */
    public boolean isKernelError() {
        return kernelError;
    }

    /**
     * The line dm-table logs for this error: {@code "device-mapper: table: %s: %s: %s (%pe)"}.
     *
     * @param device the device, as the kernel names it, e.g. {@code "253:0"}
     * @return e.g. {@code device-mapper: table: 253:0: snapshot: Couldn't create exception store (-EINVAL)}
     * @throws IllegalStateException for a non-kernel error
     */
    public String kernelLogLine(String device) {
        if (!kernelError) {
            throw new IllegalStateException("not a kernel error: " + getMessage());
        }
        return "device-mapper: table: " + device + ": " + target.targetName() + ": " + kernelMessage + " ("
                + errno.negated() + ")";
    }

    /**
     * Every line the kernel logs when a {@code dmsetup create}/{@code reload} fails with this error:
     * the store's own lines (if any), {@link #kernelLogLine}, and dm-ioctl's
     * {@code "device-mapper: ioctl: error adding target to table"}.
     *
     * @param device the device, e.g. {@code "253:0"}
     * @return the lines in order
     * @throws IllegalStateException for a non-kernel error
     */
    public List<String> kernelLog(String device) {
        List<String> lines = new ArrayList<>(storeLog);
        lines.add(kernelLogLine(device));
        lines.add("device-mapper: ioctl: error adding target to table");
        return List.copyOf(lines);
    }
}
