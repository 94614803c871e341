package dev.kefu.installers;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The runtimes keep up with the apps: every JDK module jdeps finds in the shaded jar is in the
 * jlink argument file, except the ones the file leaves out on purpose (and says why).
 * A new library that needs another module fails here rather than on a user's machine.
 */
class JlinkModulesIT {

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "relay, kefu-relay.jar, java.desktop",
            "agent, kefu-agent.jar, ''",
    })
    void jlinkArgs_coverWhatJdepsFinds(String app, String jar, String leftOutOnPurpose) throws IOException {
        Path input = Env.targetDir().resolve(app).resolve("input").resolve(jar);
        Env.require(Files.isRegularFile(input), "target/" + app + "/input/" + jar + " (./mvnw -Pinstallers package)");
        String jdeps = Path.of(System.getProperty("java.home"), "bin", "jdeps").toString();
        String printed = Cmd.of(jdeps, "--print-module-deps", "--ignore-missing-deps", "--multi-release", "17", input.toString())
                .timeout(Duration.ofMinutes(3)).ok().strip();
        Set<String> needed = new TreeSet<>(Arrays.asList(printed.lines().reduce((a, b) -> b).orElse("").split(",")));
        needed.removeAll(Set.of(leftOutOnPurpose.split(",")));

        assertThat(linkedModules(Env.installersDir().resolve("src/jlink/" + app + ".args"))).containsAll(needed);
    }

    private static Set<String> linkedModules(Path args) throws IOException {
        Matcher m = Pattern.compile("(?m)^--add-modules[ =](\\S+)").matcher(Files.readString(args));
        assertThat(m.find()).as("--add-modules in " + args).isTrue();
        return Arrays.stream(m.group(1).split(",")).collect(Collectors.toCollection(TreeSet::new));
    }
}
