import dev.snapstore.engine.Activation;
import dev.snapstore.engine.ActivationRequest;
import dev.snapstore.engine.Snapshot;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * bench/peers.sh's workload, through the engine in one process: writes a 4 KiB block of
 * pattern {@code 1 + chunk % 250} into each chunk listed in the chunks file (one decimal chunk
 * number a line) of a P snapshot with 4 KiB chunks, as writing to the kernel's snapshot device
 * would. Many writers at once, so that the store batches commits as the kernel does.
 *
 * <p>Usage: java ... MakeCow.java ORIGIN COW CHUNKS_FILE
 */
public class MakeCow {
    public static void main(String[] args) throws Exception {
        List<Long> chunks = new ArrayList<>();
        for (String line : java.nio.file.Files.readAllLines(Path.of(args[2]))) {
            chunks.add(Long.parseLong(line.trim()));
        }
        ActivationRequest request = ActivationRequest.of(Path.of(args[0]), Path.of(args[1]), "P")
                .withChunkSize("8")
                .withAccess(Activation.Access.COW);
        try (Activation activation = Activation.open(request)) {
            Snapshot snapshot = activation.snapshot();
            ExecutorService pool = Executors.newFixedThreadPool(64);
            List<Future<?>> done = new ArrayList<>();
            for (long chunk : chunks) {
                done.add(pool.submit(() -> {
                    ByteBuffer block = ByteBuffer.allocate(4096);
                    byte pattern = (byte) (1 + chunk % 250);
                    while (block.hasRemaining()) {
                        block.put(pattern);
                    }
                    block.flip();
                    snapshot.write(chunk * 8, block);
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            pool.shutdown();
            System.err.println("cow: " + snapshot.status() + ", " + snapshot.exceptionCount() + " exceptions");
        }
    }
}
