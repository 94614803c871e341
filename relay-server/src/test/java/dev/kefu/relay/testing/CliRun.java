package dev.kefu.relay.testing;

import dev.kefu.relay.cli.RelayCli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * One in-process run of {@link RelayCli#run}: standard input is fed from a string, standard output
 * and error are captured. The process-wide streams are swapped for the run and always restored, so
 * runs are serialised.
 *
 * @param exitCode what {@code run} returned
 * @param out      everything printed on standard output
 * @param err      everything printed on standard error (log lines included)
 */
public record CliRun(int exitCode, String out, String err) {

    /** Runs {@code kefu-relay ARGS} with {@code stdin} (null: empty) as standard input. */
    public static CliRun withInput(String stdin, String... args) {
        synchronized (CliRun.class) {
            InputStream oldIn = System.in;
            PrintStream oldOut = System.out;
            PrintStream oldErr = System.err;
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int code;
            try {
                System.setIn(new ByteArrayInputStream((stdin == null ? "" : stdin).getBytes(StandardCharsets.UTF_8)));
                System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
                System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
                code = RelayCli.run(args);
                System.out.flush();
                System.err.flush();
            } finally {
                System.setIn(oldIn);
                System.setOut(oldOut);
                System.setErr(oldErr);
            }
            return new CliRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        }
    }

    /** Runs {@code kefu-relay ARGS} with empty standard input. */
    public static CliRun run(String... args) {
        return withInput(null, args);
    }

    /** Fails with both outputs shown unless the exit code is {@code expected}. */
    public CliRun expectExit(int expected) {
        if (exitCode != expected) {
            throw new AssertionError("exit " + exitCode + " (expected " + expected + ")\n--- out:\n" + out + "\n--- err:\n" + err);
        }
        return this;
    }
}
