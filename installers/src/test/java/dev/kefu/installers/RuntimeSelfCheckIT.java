package dev.kefu.installers;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The jlinked runtimes the packages ship hold every JDK module the apps load by name: TLS with
 * EC keys, HMAC, PBKDF2, SQLite's native library, zip file systems, java.net.http.
 */
class RuntimeSelfCheckIT {

    @ParameterizedTest(name = "{0} runtime")
    @CsvSource({"relay, kefu-relay.jar", "agent, kefu-agent.jar"})
    void jlinkedRuntime_passesSelfCheck(String app, String jar, @TempDir Path tmp) {
        Path work = Env.targetDir().resolve(app);
        Path runtime = work.resolve("runtime");
        Env.require(Files.isExecutable(runtime.resolve("bin/java")), "the " + app + " runtime (target/" + app + "/runtime)");
        String out = selfCheck(runtime, work.resolve("input").resolve(jar), tmp);
        assertThat(out).contains("ok tls TLSv1.3", "ok tls TLSv1.2", "ok sqlite", "ok PBKDF2WithHmacSHA256").endsWith("ALL OK\n");
    }

    /** Makes an EC key with the runtime's own keytool, then runs {@link RuntimeSelfCheck} in the runtime. */
    static String selfCheck(Path runtime, Path appJar, Path tmp) {
        Path keystore = tmp.resolve("tls.p12");
        Cmd.of(runtime.resolve("bin/keytool").toString(), "-genkeypair", "-alias", "selfcheck", "-keyalg", "EC",
                "-groupname", "secp256r1", "-dname", "CN=localhost", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", keystore.toString(), "-storepass", "changeit").ok();
        String classPath = Path.of(System.getProperty("kefu.test.classes", "target/test-classes")).toAbsolutePath()
                + File.pathSeparator + appJar;
        return Cmd.of(runtime.resolve("bin/java").toString(), "-cp", classPath, RuntimeSelfCheck.class.getName(),
                keystore.toString(), "changeit", tmp.resolve("db").toString())
                .timeout(Duration.ofMinutes(2)).ok();
    }
}
