package dev.kefu.agent;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import dev.kefu.agent.cache.ChatCache;
import dev.kefu.agent.cache.SettingsStore;
import dev.kefu.agent.net.LoginClient;
import dev.kefu.agent.net.RelayConnection;
import javafx.application.Platform;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The arrows of STYLE.md, held: services own state and I/O and know nothing of JavaFX; views and
 * view models reach the network and SQLite only through services; one class moves work onto the FX
 * thread; each I/O library stays in its package; feature packages do not depend on each other in circles.
 */
@AnalyzeClasses(packages = "dev.kefu.agent", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    @ArchTest
    static final ArchRule servicesDoNotUseJavaFx = noClasses()
            .that().resideInAnyPackage("..agent.net..", "..agent.cache..", "..agent.upload..")
            .or().haveSimpleNameEndingWith("Service")
            .or().haveSimpleName("AgentSession").or().haveSimpleName("Settings").or().haveSimpleName("RememberedLogin")
            .should().dependOnClassesThat().resideInAnyPackage("javafx..", "org.controlsfx..", "java.awt..")
            .as("services (connection, cache, uploads, conversations, visitors, alerts, settings) use no JavaFX at all");

    @ArchTest
    static final ArchRule viewModelsHoldNoNodes = noClasses()
            .that().haveSimpleNameEndingWith("ViewModel")
            .should().dependOnClassesThat().resideInAnyPackage("javafx.scene..", "javafx.stage..", "org.controlsfx..")
            .as("view models expose properties and commands, never nodes");

    @ArchTest
    static final ArchRule viewsReachIoOnlyThroughServices = noClasses()
            .that().haveSimpleNameEndingWith("View").or().haveSimpleNameEndingWith("ViewModel")
            .should().dependOnClassesThat().belongToAnyOf(ChatCache.class, SettingsStore.class, RelayConnection.class,
                    LoginClient.class)
            .orShould().dependOnClassesThat().resideInAnyPackage("java.sql..", "org.sqlite..", "jakarta.websocket..",
                    "org.glassfish..", "java.net.http..")
            .as("views and view models call services, which keep network and SQLite off the FX thread");

    @ArchTest
    static final ArchRule oneWayOntoTheFxThread = noClasses()
            .that().doNotHaveSimpleName("UiThread")
            .should().callMethod(Platform.class, "runLater", Runnable.class)
            .as("only UiThread.run hops onto the FX thread");

    @ArchTest
    static final ArchRule sqliteStaysInTheCache = noClasses()
            .that().resideOutsideOfPackage("..agent.cache..")
            .should().dependOnClassesThat().resideInAnyPackage("java.sql..", "org.sqlite..")
            .as("SQLite is used by the cache package only");

    @ArchTest
    static final ArchRule webSocketStaysInNet = noClasses()
            .that().resideOutsideOfPackage("..agent.net..")
            .should().dependOnClassesThat().resideInAnyPackage("jakarta.websocket..", "org.glassfish..", "java.net.http..")
            .as("the WebSocket and HTTP clients are used by the net package only");

    @ArchTest
    static final ArchRule featuresFreeOfCycles = slices().matching("dev.kefu.agent.(*)..").should().beFreeOfCycles();
}
