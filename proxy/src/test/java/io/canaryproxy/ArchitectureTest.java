package io.canaryproxy;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package layering that ARCHITECTURE.md promises, checked on the compiled classes: no package
 * cycles, the decision logic (routing, analysis, address arithmetic) free of Netty, so that it
 * stays plain Java that any protocol adapter can call, and the exchange core (forwarding,
 * mirroring, metrics, the exchange model) free of HTTP codec types, which only the adapters in
 * server use.
 */
class ArchitectureTest {
  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.canaryproxy");
  }

  @Test
  void packagesHaveNoCycles() {
    slices().matching("io.canaryproxy.(*)..").should().beFreeOfCycles().check(classes);
  }

  @Test
  void decisionsImportNoNetty() {
    noClasses()
        .that()
        .resideInAnyPackage(
            "io.canaryproxy.routing..",
            "io.canaryproxy.analysis..",
            "io.canaryproxy.net..",
            "io.canaryproxy.grpc..",
            "io.canaryproxy.coordination..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.netty..")
        .because("routing and analysis decisions are plain Java (ARCHITECTURE.md, STYLE.md item 2)")
        .check(classes);
  }

  @Test
  void theExchangeCoreSpeaksOnlyTheExchangeModel() {
    noClasses()
        .that()
        .resideInAnyPackage(
            "io.canaryproxy.forwarding..",
            "io.canaryproxy.mirroring..",
            "io.canaryproxy.metrics..",
            "io.canaryproxy.http..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("io.netty.handler.codec.http..", "io.netty.handler.codec.http2..")
        .because(
            "protocol codec types stop at the adapters in server; the core speaks io.canaryproxy.http"
                + " (ARCHITECTURE.md, the target shape, item 1)")
        .check(classes);
  }

  @Test
  void http2CodecTypesStayInTheHttp2AdapterAndThePipelineBuilder() {
    noClasses()
        .that()
        .resideOutsideOfPackages("io.canaryproxy.server", "io.canaryproxy.server.http2")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.netty.handler.codec.http2..")
        .because("each stream is an exchange like any other once server.http2 adapted it")
        .check(classes);
    noClasses()
        .that()
        .resideInAPackage("io.canaryproxy.server.http1..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.canaryproxy.server.http2..")
        .because("the HTTP/1 adapter knows nothing of HTTP/2; only the pipeline builder picks one")
        .check(classes);
  }
}
