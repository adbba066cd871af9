// Embedded Neo4j Community (5.26 LTS) server for chainmap's tests.
//
// Run without a build step (java's single-file source launcher), from this folder:
//   java <flags from neo4j.sh> -cp 'lib/*' Launcher.java PORT DATA_DIR [SETTINGS_FILE]
// Normally started through ./neo4j.sh start, which supplies the JVM flags and writes
// SETTINGS_FILE (neo4j.conf syntax, "key=value" lines: page cache, transaction memory ...).
// Without SETTINGS_FILE the defaults in TUNING below apply; the file overrides them.
// The effective tuning settings are written to DATA_DIR/chainmap-neo4j.conf.
//
// It opens Bolt on 127.0.0.1:PORT with authentication disabled, stores everything
// under DATA_DIR (used as the Neo4j home: data/, logs/ ...), prints
//   NEO4J READY bolt://127.0.0.1:PORT
// once the default database ("neo4j") is available and the Bolt port accepts
// connections, and shuts the DBMS down cleanly on SIGTERM / SIGINT.

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;

public class Launcher {
    private static final String HOST = "127.0.0.1";

    // Tunable settings (neo4j.conf names) and their defaults; SETTINGS_FILE overrides them
    // and may add any other Neo4j setting (unknown names are refused by Neo4j at start).
    private static final Map<String, String> TUNING = new LinkedHashMap<>();
    static {
        TUNING.put("server.memory.pagecache.size", "64m");
        TUNING.put("db.tx_log.rotation.retention_policy", "1 files");
        TUNING.put("db.tx_log.rotation.size", "1m");
        TUNING.put("db.checkpoint.interval.time", "30s");
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2 && args.length != 3) {
            System.err.println("usage: Launcher PORT DATA_DIR [SETTINGS_FILE]");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        Path home = Path.of(args[1]).toAbsolutePath();
        Files.createDirectories(home);
        Map<String, String> tuning = new LinkedHashMap<>(TUNING);
        if (args.length == 3) {
            Properties extra = new Properties();
            try (var in = Files.newBufferedReader(Path.of(args[2]))) {
                extra.load(in);
            }
            for (String key : extra.stringPropertyNames()) {
                tuning.put(key.trim(), extra.getProperty(key).trim());
            }
        }
        Path conf = home.resolve("chainmap-neo4j.conf");
        StringBuilder text = new StringBuilder("# effective tuning settings (written by Launcher.java)\n");
        tuning.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
        Files.writeString(conf, text);
        System.out.println("NEO4J SETTINGS " + tuning);

        long t0 = System.nanoTime();
        System.out.println("NEO4J STARTING port=" + port + " home=" + home);
        System.out.flush();

        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
                .loadPropertiesFromFile(conf)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress(HOST, port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress(HOST, port))
                .setConfig(HttpConnector.enabled, false)
                .setConfig(HttpsConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, false)
                // Shut Bolt down fast: by default its Netty event loops and worker pool
                // wait 5 s + 5 s, which makes every stop/restart take > 10 s.
                .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0)
                .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_timeout, Duration.ofSeconds(2))
                .setConfig(BoltConnectorInternalSettings.thread_pool_shutdown_wait_time, Duration.ofSeconds(1))
                .setConfig(BoltConnectorInternalSettings.connection_shutdown_wait_time, Duration.ofSeconds(1))
                .build();

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("NEO4J STOPPING");
            System.out.flush();
            try {
                dbms.shutdown();
            } catch (Throwable t) {
                t.printStackTrace();
            }
            System.out.println("NEO4J STOPPED");
            System.out.flush();
            stopped.countDown();
        }, "neo4j-shutdown"));

        GraphDatabaseService db = dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
        if (!db.isAvailable(Duration.ofSeconds(120).toMillis())) {
            System.err.println("NEO4J FAILED: default database not available after 120 s");
            System.exit(1);
        }
        waitForPort(port, 30_000);

        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("NEO4J READY bolt://" + HOST + ":" + port + " (database "
                + db.databaseName() + ", " + ms + " ms)");
        System.out.flush();

        stopped.await(); // keep the JVM alive until a signal runs the shutdown hook
    }

    private static void waitForPort(int port, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(HOST, port), 1000);
                return;
            } catch (IOException e) {
                if (System.currentTimeMillis() > deadline) {
                    System.err.println("NEO4J FAILED: Bolt port " + port + " not listening: " + e);
                    System.exit(1);
                }
                Thread.sleep(200);
            }
        }
    }
}
