package dev.kefu.installers;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/** Fast checks of what the packages are made from; the *IT tests install the real packages. */
class PackageSourcesTest {
    private static final Path DIR = Env.installersDir();

    @ParameterizedTest(name = "{0} + override \"{1}\" -> {2}")
    @CsvSource({
            "0.1.0-SNAPSHOT, '',    0.1.0~SNAPSHOT",
            "0.1.0-SNAPSHOT, 0.1.1, 0.1.1",
            "1.2.3,          '',    1.2.3",
            "2.0.0-rc-1,     '',    2.0.0~rc~1",
    })
    void packageVersion_mapsMavenVersionToDebianAndRpmVersion(String maven, String override, String expected) {
        String got = Cmd.of("bash", "-c", "source src/package-scripts/lib.sh && package_version \"$1\" \"$2\"", "_", maven, override)
                .dir(DIR).ok().strip();
        assertThat(got).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} < {1}")
    @CsvSource({
            "0.1.0~SNAPSHOT-1, 0.1.0-1",
            "0.1.0-1,          0.1.1-1",
            "0.1.0~SNAPSHOT-1, 0.1.1-1",
    })
    void debianVersions_snapshotSortsBeforeItsRelease(String older, String newer) {
        Env.require(Env.onPath("dpkg"), "dpkg");
        assertThat(Cmd.of("dpkg", "--compare-versions", older, "lt", newer).run().exit()).isZero();
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"0.1.0~SNAPSHOT-1, 0.1.1", "1.2.9-1, 1.2.10", "2-3, 3"})
    void nextVersion_bumpsTheLastNumber(String installed, String next) {
        assertThat(RelayDebIT.nextVersion(installed)).isEqualTo(next);
    }

    @Test
    void relayUnit_startsInstalledLauncherAsKefuWithConfig() {
        UnitFile unit = UnitFile.read(DIR.resolve("src/deb/relay/kefu-relay.service"));
        assertThat(unit.get("Service.ExecStart"))
                .isEqualTo("/opt/kefu-relay/bin/kefu-relay serve --config /etc/kefu/relay.properties");
        assertThat(unit.get("Service.User")).isEqualTo("kefu");
        assertThat(unit.get("Service.Restart")).isEqualTo("on-failure");
        assertThat(unit.get("Service.StandardOutput")).isEqualTo("journal");
        assertThat(unit.get("Service.StandardError")).isEqualTo("journal");
        assertThat(unit.get("Install.WantedBy")).isEqualTo("multi-user.target");
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource({
            "NoNewPrivileges, yes",
            "ProtectSystem, strict",
            "ReadWritePaths, /var/lib/kefu",
            "ProtectHome, yes",
            "PrivateTmp, yes",
            "CapabilityBoundingSet, ''",
            "AmbientCapabilities, ''",
            "PrivateDevices, yes",
            "RestrictSUIDSGID, yes",
    })
    void relayUnit_isHardened(String key, String value) {
        UnitFile unit = UnitFile.read(DIR.resolve("src/deb/relay/kefu-relay.service"));
        assertThat(unit.get("Service." + key)).as(key).isEqualTo(value);
    }

    @Test
    void relayUnit_leavesTheJitAlone() {
        UnitFile unit = UnitFile.read(DIR.resolve("src/deb/relay/kefu-relay.service"));
        assertThat(unit.get("Service.MemoryDenyWriteExecute")).as("breaks the JVM's JIT compiler").isNull();
    }

    @Test
    void relayConfig_defaultsToPort8080AndVarLibKefu() throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(DIR.resolve("src/deb/relay/relay.properties"))) {
            p.load(r);
        }
        assertThat(p.getProperty("port")).isEqualTo("8080");
        assertThat(p.getProperty("data")).isEqualTo("/var/lib/kefu");
    }

    @Test
    void relayConffiles_listTheConfigOnly() throws IOException {
        assertThat(Files.readAllLines(DIR.resolve("src/deb/relay/conffiles"))).containsExactly("/etc/kefu/relay.properties");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "src/deb/relay/postinst", "src/deb/relay/prerm", "src/deb/relay/postrm", "src/deb/relay/kefu-relay",
            "src/jpackage/agent/linux-resources/postinst", "src/jpackage/agent/linux-resources/prerm",
    })
    void maintainerScripts_arePosixShell(String script) throws IOException {
        assertThat(Files.readString(DIR.resolve(script))).startsWith("#!/bin/sh\n");
        Cmd.of("sh", "-n", script).dir(DIR).ok();
        if (Env.onPath("dash")) {
            Cmd.of("dash", "-n", script).dir(DIR).ok();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "src/package-scripts/lib.sh", "src/package-scripts/relay-deb.sh", "src/package-scripts/agent-linux.sh",
            "src/package-scripts/sign.sh", "src/package-scripts/mac-icns.sh", "src/test/scripts/screenshot-app.sh",
            "test-installers.sh",
    })
    void buildScripts_parse(String script) {
        Cmd.of("bash", "-n", script).dir(DIR).ok();
    }
}
