package dev.kefu.relay.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.kefu.relay.cli.StoreLoad.Distribution;
import dev.kefu.relay.cli.StoreLoad.PhaseResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = RelayCli.Version.class,
        description = "Measure this machine with the relay's own code.",
        subcommands = {BenchCommand.Store.class})
final class BenchCommand {

    @Command(name = "store", mixinStandardHelpOptions = true, versionProvider = RelayCli.Version.class,
            description = {"How many messages a second the store makes durable, and how long each waits for its ack.",
                    "Each rate runs open loop against a fresh database; a last closed-loop row finds the ceiling.",
                    "Exit code 1 if any append failed, went unanswered or was stored other than once."})
    static final class Store implements Callable<Integer> {
        private static final String ROW =
                "%-6s %9s %10.0f %8d %6d %5d | %8.2f %8.2f %8.2f %8.2f %8.2f | %6.1f %5.0f | %7.2f %7.2f %7.2f | %6.0f %6.0f%n";
        private static final String HEADER =
                "%-6s %9s %10s %8s %6s %5s | %8s %8s %8s %8s %8s | %6s %5s | %7s %7s %7s | %6s %6s%n";

        @Option(names = "--rates", split = ",", paramLabel = "MSG/S", defaultValue = "1000,5000,20000",
                description = "Offered rates, appends per second, one open-loop row each. Default: ${DEFAULT-VALUE}.")
        List<Double> rates;

        @Option(names = "--seconds", paramLabel = "SECONDS", defaultValue = "10", description = "Measured seconds per row. Default: ${DEFAULT-VALUE}.")
        int seconds;

        @Option(names = "--warmup-seconds", paramLabel = "SECONDS", defaultValue = "2",
                description = "Seconds of load before measuring, per row (0 = none). Default: ${DEFAULT-VALUE}.")
        int warmupSeconds;

        @Option(names = "--senders", paramLabel = "N", defaultValue = "50",
                description = "Simulated visitors, one conversation each; messages go to them in turn. Default: ${DEFAULT-VALUE}.")
        int senders;

        @Option(names = "--write-batch", paramLabel = "N", defaultValue = "1000",
                description = "Most appends per transaction, as serve --write-batch. Default: ${DEFAULT-VALUE}.")
        int writeBatch;

        @Option(names = "--max-in-flight", paramLabel = "N", defaultValue = "2000",
                description = "Appends outstanding in the closed-loop row. Default: ${DEFAULT-VALUE}.")
        int maxInFlight;

        @Option(names = "--no-max", description = "Skip the closed-loop (as fast as possible) row.")
        boolean skipMax;

        @Option(names = "--max", description = "Run only the closed-loop row, no --rates.")
        boolean onlyMax;

        @Option(names = "--data", paramLabel = "DIR",
                description = "A folder on the disk to measure. The bench works in a new subfolder of it and deletes "
                        + "that afterwards; it never opens an existing database. Default: env KEFU_DATA if set, else the "
                        + "system temp folder.")
        Path data;

        @Option(names = "--json", paramLabel = "FILE", description = "Also write the results, with a per-second timeline, as JSON.")
        Path json;

        @Override
        public Integer call() throws IOException, InterruptedException {
            String invalid = invalidOption();
            if (invalid != null) {
                System.err.println("bench store: " + invalid);
                return 2;
            }
            Path parent = data != null ? data : Path.of(System.getProperty("java.io.tmpdir"));
            Files.createDirectories(parent);
            Path work = Files.createTempDirectory(parent, "kefu-bench-");
            // Ctrl-C skips finally blocks; the hook still removes the databases.
            Thread cleanup = new Thread(() -> deleteRecursively(work), "kefu-bench-cleanup");
            Runtime.getRuntime().addShutdownHook(cleanup);
            try {
                List<PhaseResult> results = runPhases(work);
                if (json != null) {
                    writeJson(work, results);
                }
                return verdict(results);
            } finally {
                deleteRecursively(work);
                try {
                    Runtime.getRuntime().removeShutdownHook(cleanup);
                } catch (IllegalStateException alreadyShuttingDown) {
                    // the hook runs anyway
                }
            }
        }

        private String invalidOption() {
            if (skipMax && onlyMax) {
                return "--max and --no-max exclude each other";
            }
            if (rates.stream().anyMatch(r -> !(r > 0))) {
                return "--rates must all be above 0";
            }
            if (seconds < 1 || warmupSeconds < 0) {
                return "--seconds must be at least 1 and --warmup-seconds at least 0";
            }
            if (senders < 1 || writeBatch < 1 || maxInFlight < 1) {
                return "--senders, --write-batch and --max-in-flight must be at least 1";
            }
            if (maxInFlight > StoreLoad.WRITE_QUEUE) {
                return "--max-in-flight may not exceed the store's write queue (" + StoreLoad.WRITE_QUEUE + ")";
            }
            return null;
        }

        private List<PhaseResult> runPhases(Path work) throws IOException, InterruptedException {
            StoreLoad.Settings settings = new StoreLoad.Settings(senders, warmupSeconds, seconds, writeBatch);
            System.out.printf("store bench: %d cores, data in %s (%s); %d senders, write batch <= %d; "
                            + "per row a fresh database, %d s warmup + %d s measured%n",
                    Runtime.getRuntime().availableProcessors(), work, fileSystem(work), senders, writeBatch,
                    warmupSeconds, seconds);
            System.out.printf(HEADER, "mode", "offered/s", "achieved/s", "acked", "busy", "fail",
                    "ack p50", "ack p90", "ack p99", "ack p999", "ack max", "batch", "b.max", "cmt p50", "cmt p99", "cmt max",
                    "wr cpu", "us/msg");
            List<PhaseResult> results = new ArrayList<>();
            int phase = 0;
            for (double rate : onlyMax ? List.<Double>of() : rates) {
                Path folder = work.resolve("phase-" + phase++);
                results.add(printed(StoreLoad.openLoop(folder, rate, settings)));
                deleteRecursively(folder);
            }
            if (!skipMax) {
                Path folder = work.resolve("phase-" + phase);
                results.add(printed(StoreLoad.closedLoop(folder, maxInFlight, settings)));
                deleteRecursively(folder);
            }
            System.out.println("achieved = acks per measured second; ack = ms from when the append was due to its "
                    + "durable commit; batch = appends per commit (mean, max); cmt = ms to run and commit one batch;");
            System.out.println("wr cpu = % of one core the store's writer thread used (near 100: it is the limit); "
                    + "us/msg = its CPU time per message.");
            if (!skipMax) {
                System.out.println("closed = " + maxInFlight + " appends kept in flight: its ack times are service "
                        + "times, not comparable with the open-loop rows.");
            }
            return results;
        }

        private static PhaseResult printed(PhaseResult r) {
            Distribution ack = r.ackMs();
            Distribution commit = orZero(r.commitMs());
            Distribution batch = orZero(r.batchSize());
            System.out.printf(Locale.ROOT, ROW, r.inFlight() == null ? "open" : "closed",
                    r.offeredPerSecond() == null ? "max" : String.format(Locale.ROOT, "%.0f", r.offeredPerSecond()),
                    r.achievedPerSecond(), r.acked(), r.refused(), r.failed() + r.unanswered(),
                    ack.p50(), ack.p90(), ack.p99(), ack.p999(), ack.max(),
                    batch.mean(), batch.max(), commit.p50(), commit.p99(), commit.max(),
                    r.writerCpuPercent(), r.writerCpuMicrosPerMessage());
            if (r.refused() > 0) {
                System.out.printf("  busy: the write queue (%d) was full %d times: the store cannot keep up with this rate%n",
                        StoreLoad.WRITE_QUEUE, r.refused());
            }
            if (r.firstError() != null) {
                System.out.println("  first error: " + r.firstError());
            }
            System.out.flush();
            return r;
        }

        private static Distribution orZero(Distribution d) {
            return d != null ? d : new Distribution(0, 0, 0, 0, 0, 0);
        }

        private static int verdict(List<PhaseResult> results) {
            int exit = 0;
            for (PhaseResult r : results) {
                if (!r.allAnsweredOnce()) {
                    System.err.printf("bench store: %s %s: issued %d, acked %d, busy %d, failed %d, unanswered %d, "
                                    + "stored %d, duplicates %d%n", r.mode(),
                            r.offeredPerSecond() == null ? "max" : r.offeredPerSecond() + "/s", r.issued(), r.acked(),
                            r.refused(), r.failed(), r.unanswered(), r.stored(), r.duplicates());
                    exit = 1;
                }
            }
            return exit;
        }

        private void writeJson(Path work, List<PhaseResult> results) throws IOException {
            var machine = new Machine(Runtime.getRuntime().availableProcessors(),
                    System.getProperty("os.name") + " " + System.getProperty("os.version"),
                    System.getProperty("java.vm.name") + " " + System.getProperty("java.version"),
                    work.toString(), fileSystem(work));
            var settings = new JsonSettings(onlyMax ? List.of() : rates, seconds, warmupSeconds, senders, writeBatch, StoreLoad.WRITE_QUEUE,
                    skipMax ? null : maxInFlight);
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValue(json.toFile(), new Report(machine, settings, results));
        }

        private static String fileSystem(Path folder) throws IOException {
            FileStore fs = Files.getFileStore(folder);
            return fs.type() + " on " + fs.name();
        }

        private static void deleteRecursively(Path folder) {
            if (!Files.exists(folder)) {
                return;
            }
            try (Stream<Path> paths = Files.walk(folder)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot delete the bench folder " + folder, e);
            }
        }
    }

    record Report(Machine machine, JsonSettings settings, List<PhaseResult> results) {}

    record Machine(int cores, String os, String java, String dataFolder, String fileSystem) {}

    /** {@code maxInFlight} is null when the closed-loop row was skipped. */
    record JsonSettings(List<Double> rates, int seconds, int warmupSeconds, int senders, int writeBatch,
                        int writeQueue, Integer maxInFlight) {}
}
