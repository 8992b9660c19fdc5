package io.canaryproxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.canaryproxy.testing.TestCertificates;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code validate} reads the TLS PEM files and reports each problem by its YAML path. */
class TlsFilesTest {
  @TempDir Path dir;
  private TestCertificates certs;

  @BeforeEach
  void certificates() throws Exception {
    certs = TestCertificates.create(dir);
    certs.leaf("server", "server", null);
    certs.leaf("other", "other", null);
  }

  private ProxyConfig load(String tls) throws Exception {
    Path file = dir.resolve("config.yaml");
    Files.writeString(
        file,
        "backends: {stable: {endpoints: [\"127.0.0.1:1\"]}, canary: {endpoints: [\"127.0.0.1:2\"]}}\n"
            + tls
            + "\n");
    return ConfigLoader.load(file);
  }

  private String f(String name) {
    return dir.resolve(name).toString();
  }

  @Test
  void matchingPairLoads() throws Exception {
    ProxyConfig c =
        load(
            "tls: {certFile: "
                + f("server.pem")
                + ", keyFile: "
                + f("server.key")
                + ", clientCaFile: "
                + f("ca.pem")
                + ", clientAuth: optional}");
    assertThat(c.tls().clientAuth()).isEqualTo(TlsConfig.ClientAuth.OPTIONAL);
    assertThat(c.tls().protocols()).containsExactly("TLSv1.2", "TLSv1.3");
  }

  @Test
  void missingUnreadableAndMismatchedFilesAreReportedByPath() throws Exception {
    Files.writeString(dir.resolve("junk.pem"), "not a certificate\n");
    ConfigException missing =
        catchThrowableOfType(
            () -> load("tls: {certFile: " + f("missing.pem") + ", keyFile: " + f("junk.pem") + "}"),
            ConfigException.class);
    assertThat(missing.errors())
        .containsExactly(
            "tls.certFile: " + f("missing.pem") + " (cannot be read: no such file)",
            "tls.keyFile: " + f("junk.pem") + " (not PEM (no -----BEGIN ...----- block))");

    ConfigException mismatched =
        catchThrowableOfType(
            () -> load("tls: {certFile: " + f("server.pem") + ", keyFile: " + f("other.key") + "}"),
            ConfigException.class);
    assertThat(mismatched.errors())
        .containsExactly(
            "tls.keyFile: "
                + f("other.key")
                + " (does not match the certificate in tls.certFile: "
                + f("server.pem")
                + ")");
  }

  @Test
  void pkcs1RsaKeyAsCertManagerWritesItIsAccepted() throws Exception {
    certs.run("genrsa", "-traditional", "-out", "rsa.key", "2048");
    certs.run(
        "req", "-x509", "-key", "rsa.key", "-out", "rsa.pem", "-days", "1", "-subj", "/CN=rsa");
    assertThat(Files.readString(dir.resolve("rsa.key"))).contains("BEGIN RSA PRIVATE KEY");
    ProxyConfig c = load("tls: {certFile: " + f("rsa.pem") + ", keyFile: " + f("rsa.key") + "}");
    assertThat(c.tls().keyFile()).isEqualTo(dir.resolve("rsa.key"));
    assertThat(PemFiles.privateKey(dir.resolve("rsa.key")).getAlgorithm()).isEqualTo("RSA");
  }

  @Test
  void backendCaFileThatCannotBeReadIsReportedByPath() throws Exception {
    Path file = dir.resolve("config.yaml");
    Files.writeString(
        file,
        "backends: {stable: {endpoints: [\"127.0.0.1:1\"], tls: {caFile: "
            + f("nope.pem")
            + "}}, canary: {endpoints: [\"127.0.0.1:2\"]}}\n");
    ConfigException e = catchThrowableOfType(() -> ConfigLoader.load(file), ConfigException.class);
    assertThat(e.errors())
        .containsExactly(
            "backends.stable.tls.caFile: " + f("nope.pem") + " (cannot be read: no such file)");
  }
}
