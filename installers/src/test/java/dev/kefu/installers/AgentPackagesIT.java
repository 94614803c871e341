package dev.kefu.installers;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The agent app's packages. The .deb on a real dpkg: installs where xdg-desktop-menu cannot,
 * starts from the installed launcher and shows its window on Xvfb (screenshot kept in
 * target/installer-tests/agent-deb/), reinstalls over itself, and is removed without touching
 * the user's data. The .rpm is inspected (this is a Debian machine).
 */
class AgentPackagesIT {
    static final String DESKTOP_ENTRY = "/usr/share/applications/kefu-agent-kefu-agent.desktop";

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    class Deb {
        private final Path out = Env.outputDir("agent-deb");
        private Path deb;
        private Path dataHome;

        @BeforeAll
        void requireMachine() throws IOException {
            deb = Env.findPackage("kefu-agent_", ".deb").orElse(null);
            Env.require(deb != null, "the agent .deb (built only when agent-desktop/target/kefu-agent.jar exists)");
            Env.require(Env.isRoot(), "root (dpkg -i)");
            Env.require(Env.onPath("dpkg") && Env.onPath("xvfb-run") && Env.onPath("import") && Env.onPath("xwininfo"),
                    "dpkg, xvfb-run, ImageMagick's import and xwininfo");
            Env.require(Cmd.of("dpkg-query", "-W", "kefu-agent").run().exit() != 0,
                    "a machine without kefu-agent installed (this test removes it at the end)");
            dataHome = Files.createTempDirectory("kefu-agent-xdg-data");
        }

        @AfterAll
        void purge() {
            if (deb != null && Cmd.of("dpkg-query", "-W", "kefu-agent").run().exit() == 0) {
                Cmd.of("dpkg", "--purge", "kefu-agent").ok();
            }
            if (dataHome != null) {
                Cmd.of("rm", "-rf", dataHome.toString()).ok();
            }
        }

        @Test
        @Order(1)
        void install_whereXdgDesktopMenuFails_stillSucceedsWithMenuEntry() throws IOException {
            // XDG_DATA_DIRS without a writable "applications" folder is how a minimal machine
            // looks to xdg-desktop-menu ("No writable system menu directory found").
            String log = Cmd.of("dpkg", "-i", deb.toString()).env("XDG_DATA_DIRS", "/nonexistent")
                    .timeout(Duration.ofMinutes(5)).ok();
            Files.writeString(out.resolve("dpkg-install.txt"), log);
            assertThat(Path.of("/opt/kefu-agent/bin/kefu-agent")).isExecutable();
            assertThat(Path.of(DESKTOP_ENTRY)).isRegularFile();
            assertThat(Files.readString(Path.of(DESKTOP_ENTRY)))
                    .contains("Name=Kefu Agent", "Exec=/opt/kefu-agent/bin/kefu-agent", "Icon=/opt/kefu-agent/lib/kefu-agent.png");
            assertThat(Path.of("/opt/kefu-agent/lib/kefu-agent.png")).isRegularFile();
        }

        @Test
        @Order(2)
        void installedLauncher_showsItsWindowUnderXvfb() throws IOException {
            Path shots = out.resolve("run");
            Cmd.Result r = Cmd.of("bash", Env.installersDir().resolve("src/test/scripts/screenshot-app.sh").toString(),
                            shots.toString(), "Kefu", "120", "/opt/kefu-agent/bin/kefu-agent")
                    .env("XDG_DATA_HOME", dataHome.toString())
                    .timeout(Duration.ofMinutes(4)).run();
            Files.writeString(out.resolve("screenshot-app.txt"), r.output());
            assertThat(r.exit()).as(r.output() + readIfExists(shots.resolve("app.log"))).isZero();
            assertThat(Files.readString(shots.resolve("windows.txt"))).contains("\"Kefu");
            assertThat(distinctColours(shots.resolve("screenshot.png"))).as("a painted window, not a blank screen").isGreaterThan(16);
        }

        @Test
        @Order(3)
        void firstStart_createsPerUserDataFolder() {
            assertThat(dataHome.resolve("kefu-agent")).isDirectory();
            assertThat(dataHome.resolve("kefu-agent/settings.db")).isRegularFile();
        }

        @Test
        @Order(4)
        void reinstall_keepsMenuEntryAndUserData() {
            // Same path as an upgrade: old prerm "upgrade", unpack, new postinst "configure".
            Cmd.of("dpkg", "-i", deb.toString()).timeout(Duration.ofMinutes(5)).ok();
            assertThat(Path.of(DESKTOP_ENTRY)).isRegularFile();
            assertThat(dataHome.resolve("kefu-agent/settings.db")).isRegularFile();
        }

        @Test
        @Order(5)
        void remove_dropsMenuEntryButNotUserData() {
            Cmd.of("dpkg", "--remove", "kefu-agent").ok();
            assertThat(Path.of(DESKTOP_ENTRY)).doesNotExist();
            assertThat(Path.of("/opt/kefu-agent")).doesNotExist();
            assertThat(dataHome.resolve("kefu-agent/settings.db")).as("users' cache and settings stay").isRegularFile();
        }

        private static String readIfExists(Path p) throws IOException {
            return Files.exists(p) ? "\napp.log:\n" + Files.readString(p) : "";
        }

        private static int distinctColours(Path png) throws IOException {
            BufferedImage img = ImageIO.read(png.toFile());
            Set<Integer> colours = new HashSet<>();
            for (int y = 0; y < img.getHeight(); y += 2) {
                for (int x = 0; x < img.getWidth(); x += 2) {
                    colours.add(img.getRGB(x, y));
                }
            }
            return colours.size();
        }
    }

    @Nested
    class Rpm {
        @Test
        void rpm_holdsLauncherMenuEntryAndJavaFxLibraries() {
            Path rpm = Env.findPackage("kefu-agent-", ".rpm").orElse(null);
            Env.require(rpm != null, "the agent .rpm (built when rpmbuild and kefu-agent.jar exist)");
            Env.require(Env.onPath("rpm"), "rpm");
            assertThat(Cmd.of("rpm", "-qp", "--list", rpm.toString()).ok())
                    .contains("/opt/kefu-agent/bin/kefu-agent", "/opt/kefu-agent/lib/kefu-agent-kefu-agent.desktop",
                            "/opt/kefu-agent/lib/app/kefu-agent.jar", "/opt/kefu-agent/lib/runtime/lib/libjava.so");
            assertThat(Cmd.of("rpm", "-qp", "--requires", rpm.toString()).ok())
                    .contains("libgtk-3.so.0()", "libGL.so.1()");
        }

        @Test
        void rpmScriptlets_keepMenuEntryOnUpgrade() {
            Path rpm = Env.findPackage("kefu-agent-", ".rpm").orElse(null);
            Env.require(rpm != null, "the agent .rpm");
            Env.require(Env.onPath("rpm"), "rpm");
            String scripts = Cmd.of("rpm", "-qp", "--scripts", rpm.toString()).ok();
            // rpm runs the old %preun after the new %post: only an erase ($1 = 0) may remove the entry.
            assertThat(scripts).contains("if [ \"$1\" = 0 ]; then").contains("install -m 0644");
        }
    }
}
