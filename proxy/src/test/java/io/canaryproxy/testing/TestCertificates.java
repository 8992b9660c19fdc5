package io.canaryproxy.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Assumptions;

/**
 * Certificates made for a test by the {@code openssl} command line (CI installs it): a CA, and leaf
 * certificates it signs, as PEM files in a directory. Tests that need them are skipped, with the
 * reason, where {@code openssl} is absent.
 */
public final class TestCertificates {
  private final Path dir;

  private TestCertificates(Path dir) {
    this.dir = dir;
  }

  /** A new CA ({@code CN=canary test CA}) in {@code dir}; skips the test without openssl. */
  public static TestCertificates create(Path dir) throws Exception {
    Assumptions.assumeTrue(
        available("openssl"), "openssl is not installed: TLS tests need it to make certificates");
    TestCertificates certs = new TestCertificates(Files.createDirectories(dir));
    certs.run(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=canary test CA");
    return certs;
  }

  /** True when {@code command} runs here. */
  public static boolean available(String command) {
    try {
      Process p = new ProcessBuilder(command, "version").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  public Path dir() {
    return dir;
  }

  /** The CA certificate. */
  public Path ca() {
    return dir.resolve("ca.pem");
  }

  /**
   * A leaf {@code NAME.pem} / {@code NAME.key} signed by the CA, valid for {@code localhost} and
   * 127.0.0.1 (plus {@code extraSan}, such as {@code URI:spiffe://x}, when not null).
   */
  public Path[] leaf(String name, String commonName, String extraSan) throws Exception {
    String san =
        "subjectAltName=DNS:localhost,IP:127.0.0.1" + (extraSan == null ? "" : "," + extraSan);
    Files.writeString(dir.resolve(name + ".ext"), san + "\n");
    run(
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        name + ".key",
        "-out",
        name + ".csr",
        "-subj",
        "/CN=" + commonName);
    run(
        "x509",
        "-req",
        "-in",
        name + ".csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        name + ".pem",
        "-days",
        "2",
        "-extfile",
        name + ".ext");
    return new Path[] {dir.resolve(name + ".pem"), dir.resolve(name + ".key")};
  }

  /**
   * A leaf {@code NAME.pem} / {@code NAME.key} signed by the CA with exactly {@code san} (such as
   * {@code DNS:other.example}) and the validity period {@code [start, end]}, both written {@code
   * YYYYMMDDHHMMSSZ}: expired and not-yet-valid certificates for tests.
   */
  public Path[] leaf(String name, String commonName, String san, String start, String end)
      throws Exception {
    if (!Files.exists(dir.resolve("ca.cnf"))) {
      Files.writeString(
          dir.resolve("ca.cnf"),
          String.join(
              "\n",
              "[ca]",
              "default_ca = test",
              "[test]",
              "dir = .",
              "database = index.txt",
              "new_certs_dir = .",
              "serial = serial.txt",
              "default_md = sha256",
              "policy = any",
              "unique_subject = no",
              "[any]",
              "commonName = supplied",
              ""));
      Files.writeString(dir.resolve("index.txt"), "");
      Files.writeString(dir.resolve("serial.txt"), "1000\n");
    }
    Files.writeString(dir.resolve(name + ".ext"), "subjectAltName=" + san + "\n");
    run(
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        name + ".key",
        "-out",
        name + ".csr",
        "-subj",
        "/CN=" + commonName);
    run(
        "ca",
        "-batch",
        "-config",
        "ca.cnf",
        "-cert",
        "ca.pem",
        "-keyfile",
        "ca.key",
        "-in",
        name + ".csr",
        "-out",
        name + ".pem",
        "-notext",
        "-startdate",
        start,
        "-enddate",
        end,
        "-extfile",
        name + ".ext");
    return new Path[] {dir.resolve(name + ".pem"), dir.resolve(name + ".key")};
  }

  /** Runs {@code openssl ARGS} in the directory; fails the test when it fails. */
  public String run(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("openssl"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("openssl " + String.join(" ", args) + " failed: " + out);
    }
    return out;
  }

  /** A JDK client context that trusts only this CA. */
  public SSLContext clientContext() throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(ca())) {
      trust.setCertificateEntry(
          "ca", (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    return context;
  }
}
