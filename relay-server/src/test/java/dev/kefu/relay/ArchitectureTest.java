package dev.kefu.relay;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;

/** The arrows point one way: transport -> desk -> conversation -> queue -> store. */
class ArchitectureTest {
    private static final JavaClasses RELAY = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.kefu.relay");

    @Test
    void layers_dependOnlyDownwards() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("cli").definedBy("dev.kefu.relay.cli..")
                .layer("server").definedBy("dev.kefu.relay")
                .layer("backup").definedBy("dev.kefu.relay.backup..")
                .layer("transport").definedBy("dev.kefu.relay.transport..")
                .layer("ops").definedBy("dev.kefu.relay.ops..")
                .layer("desk").definedBy("dev.kefu.relay.desk..")
                .layer("queue").definedBy("dev.kefu.relay.queue..")
                .layer("conversation").definedBy("dev.kefu.relay.conversation..")
                .layer("tracking").definedBy("dev.kefu.relay.tracking..")
                .layer("auth").definedBy("dev.kefu.relay.auth..")
                .layer("store").definedBy("dev.kefu.relay.store..")
                .whereLayer("cli").mayNotBeAccessedByAnyLayer()
                .whereLayer("server").mayOnlyBeAccessedByLayers("cli")
                .whereLayer("backup").mayOnlyBeAccessedByLayers("cli")
                .whereLayer("transport").mayOnlyBeAccessedByLayers("server")
                .whereLayer("ops").mayOnlyBeAccessedByLayers("server", "transport")
                .whereLayer("desk").mayOnlyBeAccessedByLayers("server", "transport")
                .whereLayer("conversation").mayOnlyBeAccessedByLayers("server", "transport", "desk")
                .whereLayer("queue").mayOnlyBeAccessedByLayers("server", "conversation", "desk", "cli")
                .whereLayer("tracking").mayOnlyBeAccessedByLayers("server", "conversation", "desk")
                .whereLayer("auth").mayOnlyBeAccessedByLayers("server", "transport", "conversation", "desk", "cli")
                .check(RELAY);
    }

    @Test
    void storeAndConversation_knowNothingOfJettyOrTheWire() {
        noClasses().that().resideInAnyPackage("dev.kefu.relay.store..", "dev.kefu.relay.backup..", "dev.kefu.relay.conversation..",
                        "dev.kefu.relay.tracking..", "dev.kefu.relay.auth..", "dev.kefu.relay.queue..",
                        "dev.kefu.relay.desk..")
                .should().dependOnClassesThat().resideInAnyPackage("org.eclipse.jetty..")
                .check(RELAY);
    }
}
