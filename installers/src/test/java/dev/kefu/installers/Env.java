package dev.kefu.installers;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.fail;

/** Where the build put things (system properties set by the pom) and what this machine can do. */
final class Env {
    private Env() {}

    static Path installersDir() {
        return Path.of(System.getProperty("kefu.installers.dir", ".")).toAbsolutePath().normalize();
    }

    static Path packagesDir() {
        return Path.of(System.getProperty("kefu.packages.dir", installersDir().resolve("target/packages").toString()));
    }

    static Path targetDir() {
        return installersDir().resolve("target");
    }

    static String mavenVersion() {
        return System.getProperty("kefu.maven.version", "0.1.0-SNAPSHOT");
    }

    static String packageVersionOverride() {
        return System.getProperty("kefu.package.version", "");
    }

    static String release() {
        return System.getProperty("kefu.package.release", "1");
    }

    /**
     * Skips the test when the machine cannot run it, or fails it in strict mode (CI's
     * test-installers.sh), where a skipped installer test would hide a broken setup.
     */
    static void require(boolean condition, String what) {
        if (condition) {
            return;
        }
        if (Boolean.getBoolean("kefu.installers.strict")) {
            fail("installer test needs " + what + " (strict mode: -Dkefu.installers.strict=true)");
        }
        Assumptions.abort("needs " + what);
    }

    static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    static boolean onPath(String tool) {
        return Stream.of(System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":"))
                .anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
    }

    /** The newest package in the packages folder whose name starts with {@code prefix} and ends with {@code suffix}. */
    static Optional<Path> findPackage(String prefix, String suffix) {
        Path dir = packagesDir();
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().startsWith(prefix) && p.getFileName().toString().endsWith(suffix))
                    .max(Comparator.comparing(p -> p.toFile().lastModified()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A folder under target/ for this test's files (screenshots, logs), kept after the run. */
    static Path outputDir(String name) {
        Path dir = targetDir().resolve("installer-tests").resolve(name);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }
}
