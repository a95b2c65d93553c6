package dev.snapstore.cli;

/** The {@code snapstore} program: {@code main} only exits with what {@link Snapstore#run} returns. */
public final class Main {

    private Main() {}

    /**
     * Runs the command line and exits with its status.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        System.exit(new Snapstore(Io.system()).run(args).code());
    }
}
