package dev.kefu.loadtest.cli;

import dev.kefu.loadtest.relay.RelayHarness;
import picocli.CommandLine.Option;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Which relay a scenario runs against: a running one (--url), or one the harness starts, and how. */
final class RelayOptions {
    @Option(names = "--url", paramLabel = "URL",
            description = "An already running relay (http://127.0.0.1:8080). Absent: the harness starts one "
                    + "from --relay-jar on a fresh data folder and seeds the site and agents.")
    URI url;

    @Option(names = "--peer", defaultValue = "kefu",
            description = "Which relay: kefu, or socketio (the Node Socket.IO peer under loadtest/peers/socketio, "
                    + "started by the harness; clients then speak Socket.IO over Engine.IO WebSockets, and the --lp-share of "
                    + "visitors over Engine.IO HTTP long-polling). Default: ${DEFAULT-VALUE}.")
    String peer;

    @Option(names = "--peer-dir", paramLabel = "DIR",
            description = "The Socket.IO peer's folder. Default: loadtest/peers/socketio found from the working folder.")
    Path peerDir;

    @Option(names = "--relay-jar", paramLabel = "JAR",
            description = "Relay to start when --url is absent. Default: relay-server/target/kefu-relay.jar "
                    + "found from the working folder or next to this jar.")
    Path jar;

    @Option(names = "--relay-classpath", paramLabel = "CP", hidden = true,
            description = "Start the relay from this class path (dev.kefu.relay.cli.RelayCli) instead of a jar.")
    String classpath;

    @Option(names = "--seeded", hidden = true,
            description = "WORK/data holds a seeded relay already (site and agents): skip 'site add' and 'agent add'.")
    boolean seeded;

    @Option(names = "--relay-jvm", paramLabel = "OPTS", defaultValue = "-Xmx1g",
            description = "JVM options of a started relay, space-separated. Default: ${DEFAULT-VALUE}.")
    String jvm;

    @Option(names = "--relay-flags", paramLabel = "FLAGS", defaultValue = "",
            description = "Extra 'serve' flags of a started relay, space-separated (e.g. \"--write-batch 500\").")
    String flags;

    @Option(names = "--heartbeat-sec", defaultValue = "25",
            description = "Heartbeat of a started relay, seconds. Default: ${DEFAULT-VALUE}.")
    int heartbeatSec;

    @Option(names = "--relay-rate-limit", paramLabel = "N", defaultValue = "1000",
            description = "Frames/s per connection a started relay allows (agents send a lot). Default: ${DEFAULT-VALUE}.")
    double rateLimit;

    @Option(names = "--relay-rate-burst", paramLabel = "N", defaultValue = "20000",
            description = "Burst a started relay allows per connection. Default: ${DEFAULT-VALUE}.")
    int rateBurst;

    @Option(names = "--relay-pid", paramLabel = "PID", defaultValue = "-1",
            description = "PID of an external relay for /proc readings; default: whoever listens on the --url port.")
    long pid;

    /** The command line that runs the relay's CLI: java, --relay-jvm, then --relay-classpath or --relay-jar. */
    List<String> command() {
        List<String> jvmOptions = split(jvm);
        if (classpath != null) {
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.addAll(jvmOptions);
            cmd.addAll(List.of("-cp", classpath, "dev.kefu.relay.cli.RelayCli"));
            return cmd;
        }
        return RelayHarness.javaJar(jar(), jvmOptions);
    }

    /** The 'serve' flags of a started relay: heartbeat, rate limit and burst, then --relay-flags. */
    List<String> serveFlags() {
        List<String> serve = new ArrayList<>(List.of("--heartbeat-sec", Integer.toString(heartbeatSec),
                "--rate-limit", Double.toString(rateLimit), "--rate-burst", Integer.toString(rateBurst)));
        serve.addAll(split(flags));
        return serve;
    }

    /** --relay-jar, or the relay jar found from the working folder or next to this jar. */
    Path jar() {
        if (jar != null) {
            if (!Files.isRegularFile(jar)) {
                throw new IllegalArgumentException("no relay jar at " + jar);
            }
            return jar;
        }
        List<Path> candidates = new ArrayList<>(List.of(Path.of("relay-server/target/kefu-relay.jar"),
                Path.of("../relay-server/target/kefu-relay.jar")));
        try {
            Path self = Path.of(RelayOptions.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            candidates.add(self.getParent().resolve("../../relay-server/target/kefu-relay.jar").normalize());
        } catch (Exception ignored) {
            // not from a jar
        }
        for (Path p : candidates) {
            if (Files.isRegularFile(p)) {
                return p.toAbsolutePath().normalize();
            }
        }
        throw new IllegalArgumentException("relay jar not found (tried " + candidates
                + "); build it (./mvnw -q -o install -DskipTests) or pass --relay-jar or --url");
    }

    static List<String> split(String s) {
        return s == null || s.isBlank() ? List.of() : Arrays.asList(s.trim().split("\\s+"));
    }
}
