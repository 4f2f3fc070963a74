import org.codelibs.opensearch.runner.OpenSearchRunner;

/**
 * Runs one OpenSearch node through the codelibs runner, on exactly the HTTP port asked for.
 *
 * The runner's own main caps the HTTP port at 9299 and hides the reason a node failed to
 * start; this launcher lifts the cap, prints the failure, exits non-zero, and closes the
 * node cleanly when the JVM is asked to stop (SIGTERM).
 */
public final class OpenSearchNode {
    private OpenSearchNode() {}

    public static void main(String[] args) throws InterruptedException {
        OpenSearchRunner runner = new OpenSearchRunner();
        runner.setMaxHttpPort(-1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                runner.close();
            } catch (Exception e) {
                e.printStackTrace();
            }
        }));
        try {
            runner.build(args);
        } catch (Throwable failure) {
            failure.printStackTrace();
            System.exit(1);
        }
        System.out.println("chirp: opensearch node started");
        while (!runner.isClosed()) {
            Thread.sleep(1000);
        }
    }
}
