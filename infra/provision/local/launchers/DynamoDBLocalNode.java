import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.lang.reflect.Field;
import java.util.Arrays;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * Runs DynamoDB Local on one address only: `DynamoDBLocalNode <host> <ServerRunner args>`.
 *
 * DynamoDB Local's own main binds every address and has no option to choose one. This
 * launcher builds the same server from the same arguments, then binds its Jetty
 * connector to the given host before starting it, and stops it when the JVM is asked
 * to stop (SIGTERM).
 */
public final class DynamoDBLocalNode {
    private DynamoDBLocalNode() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: DynamoDBLocalNode <host> [DynamoDB Local arguments]");
            System.exit(2);
        }
        String host = args[0];
        DynamoDBProxyServer proxy =
                ServerRunner.createServerFromCommandLineArgs(Arrays.copyOfRange(args, 1, args.length));
        Field field = DynamoDBProxyServer.class.getDeclaredField("server");
        field.setAccessible(true);
        Server server = (Server) field.get(proxy);
        Connector[] connectors = server.getConnectors();
        if (connectors.length == 0) {
            throw new IllegalStateException("DynamoDB Local made a server without a connector");
        }
        for (Connector connector : connectors) {
            ((ServerConnector) connector).setHost(host);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                proxy.stop();
            } catch (Exception e) {
                e.printStackTrace();
            }
        }));
        try {
            proxy.start();
        } catch (Throwable failure) {
            failure.printStackTrace();
            System.exit(1);
        }
        if (!server.isStarted()) {
            System.err.println("chirp: dynamodb local did not start (port taken?)");
            System.exit(1);
        }
        System.out.println("chirp: dynamodb local listening on " + host);
        server.join();
    }
}
