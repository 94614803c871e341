package dev.kefu.installers;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** sign.sh: signs with the key named in KEFU_GPG_KEY_ID when there is one, and says it skipped when not. */
class SignIT {

    @Test
    void withoutKey_writesChecksumsAndSaysItSkipped(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("kefu-relay_0.0.1-1_amd64.deb"), "not really a package");
        Cmd.Result r = sign(dir).run();
        assertThat(r.exit()).isZero();
        assertThat(r.output()).contains("SKIPPED signatures (KEFU_GPG_KEY_ID is not set)");
        assertThat(dir.resolve("SHA256SUMS")).isRegularFile();
        assertThat(dir.resolve("kefu-relay_0.0.1-1_amd64.deb.asc")).doesNotExist();
    }

    @Test
    void withKey_writesDetachedSignaturesThatVerify(@TempDir Path dir, @TempDir Path gnupg) throws IOException {
        Env.require(Env.onPath("gpg"), "gpg");
        Path deb = dir.resolve("kefu-relay_0.0.1-1_amd64.deb");
        Files.writeString(deb, "not really a package");
        Path rpm = Env.findPackage("kefu-agent-", ".rpm").orElse(null);
        boolean withRpm = rpm != null && Env.onPath("rpmsign");
        if (withRpm) {
            Files.copy(rpm, dir.resolve(rpm.getFileName()));
        }
        Cmd.of("chmod", "700", gnupg.toString()).ok();
        Cmd.of("gpg", "--batch", "--passphrase", "", "--quick-gen-key", "Kefu Test Packages <test@kefu.invalid>",
                "rsa2048", "sign", "1d").env("GNUPGHOME", gnupg.toString()).timeout(Duration.ofMinutes(2)).ok();

        String out = sign(dir).env("GNUPGHOME", gnupg.toString()).env("KEFU_GPG_KEY_ID", "test@kefu.invalid")
                .timeout(Duration.ofMinutes(5)).ok();

        assertThat(out).doesNotContain("SKIPPED");
        Cmd.of("gpg", "--batch", "--verify", deb + ".asc", deb.toString()).env("GNUPGHOME", gnupg.toString()).ok();
        Cmd.of("gpg", "--batch", "--verify", dir.resolve("SHA256SUMS.asc").toString()).env("GNUPGHOME", gnupg.toString()).ok();
        Cmd.of("sha256sum", "--check", "SHA256SUMS").dir(dir).ok();
        if (withRpm) {
            Path signed = dir.resolve(rpm.getFileName());
            assertThat(Cmd.of("rpm", "-qp", "--queryformat", "%{RSAHEADER:pgpsig}", signed.toString()).ok())
                    .as("header signature").doesNotContain("(none)").contains("RSA");
            Cmd.of("gpg", "--batch", "--verify", signed + ".asc", signed.toString()).env("GNUPGHOME", gnupg.toString()).ok();
        }
    }

    private static Cmd sign(Path dir) {
        return Cmd.of("bash", "src/package-scripts/sign.sh", dir.toString()).dir(Env.installersDir())
                .env("KEFU_GPG_KEY_ID", "");
    }
}
