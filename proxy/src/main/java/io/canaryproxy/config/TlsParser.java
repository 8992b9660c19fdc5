package io.canaryproxy.config;

import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * Parses the {@code tls} section and each {@code backends.NAME.tls}. With {@code readFiles} it also
 * reads every PEM file named, so {@code validate} reports a missing, unreadable or mismatched
 * certificate or key by its YAML path.
 */
final class TlsParser {
  static final String[] KEYS = {
    "certFile", "keyFile", "clientCaFile", "clientAuth", "protocols", "ciphers"
  };
  static final String[] BACKEND_KEYS = {
    "enabled", "caFile", "certFile", "keyFile", "serverName", "insecureSkipVerify"
  };

  private TlsParser() {}

  static TlsConfig parse(YamlMap m, boolean readFiles) {
    Path cert = m.filePath("certFile");
    Path key = m.filePath("keyFile");
    if (!m.has("certFile")) {
      m.missing("certFile", "a PEM file holding the server certificate chain");
    }
    if (!m.has("keyFile")) {
      m.missing("keyFile", "a PEM file holding the private key");
    }
    Path clientCa = m.filePath("clientCaFile");
    TlsConfig.ClientAuth auth =
        m.choice("clientAuth", TlsConfig.ClientAuth.NONE, TlsConfig.ClientAuth.class);
    if (auth != TlsConfig.ClientAuth.NONE && clientCa == null) {
      m.error(
          "clientCaFile",
          "missing (expected: a PEM file of CA certificates when tls.clientAuth is "
              + auth.name().toLowerCase(java.util.Locale.ROOT)
              + ")");
    }
    List<String> protocols = m.strings("protocols", TlsConfig.PROTOCOLS);
    if (m.has("protocols")) {
      if (protocols.isEmpty()) {
        m.invalid("protocols", "at least one of TLSv1.2, TLSv1.3");
      }
      for (int i = 0; i < protocols.size(); i++) {
        if (!TlsConfig.PROTOCOLS.contains(protocols.get(i))) {
          m.errors()
              .add(
                  m.path("protocols")
                      + "["
                      + i
                      + "]: "
                      + RoutingParser.quote(protocols.get(i))
                      + " (expected: TLSv1.2 | TLSv1.3)");
        }
      }
    }
    List<String> ciphers = m.strings("ciphers", List.of());
    if (readFiles) {
      checkPair(m, cert, key);
      checkCertificates(m, "clientCaFile", clientCa);
    }
    return new TlsConfig(cert, key, clientCa, auth, List.copyOf(protocols), List.copyOf(ciphers));
  }

  static BackendTlsConfig parseBackend(YamlMap m, boolean readFiles) {
    boolean enabled = m.bool("enabled", true);
    Path ca = m.filePath("caFile");
    Path cert = m.filePath("certFile");
    Path key = m.filePath("keyFile");
    if ((cert == null) != (key == null)) {
      m.error(
          cert == null ? "certFile" : "keyFile",
          "missing (expected: certFile and keyFile together, for a client certificate)");
    }
    String serverName = m.string("serverName", null);
    if (serverName != null && (serverName.isEmpty() || !serverName.matches("[A-Za-z0-9.:-]+"))) {
      m.invalid("serverName", "a host name such as api.internal");
    }
    boolean insecure = m.bool("insecureSkipVerify", false);
    if (readFiles && enabled) {
      checkCertificates(m, "caFile", ca);
      if (cert != null && key != null) {
        checkPair(m, cert, key);
      }
    }
    return new BackendTlsConfig(enabled, ca, cert, key, serverName, insecure);
  }

  private static void checkPair(YamlMap m, Path certFile, Path keyFile) {
    X509Certificate leaf = null;
    if (certFile != null) {
      try {
        leaf = PemFiles.certificates(certFile).get(0);
      } catch (PemFiles.Invalid e) {
        m.error("certFile", certFile + " (" + e.getMessage() + ")");
      }
    }
    if (keyFile == null) {
      return;
    }
    PrivateKey key;
    try {
      key = PemFiles.privateKey(keyFile);
    } catch (PemFiles.Invalid e) {
      m.error("keyFile", keyFile + " (" + e.getMessage() + ")");
      return;
    }
    if (leaf != null) {
      try {
        PemFiles.checkPair(leaf, key);
      } catch (PemFiles.Invalid e) {
        m.error(
            "keyFile",
            keyFile + " (" + e.getMessage() + " in " + m.path("certFile") + ": " + certFile + ")");
      }
    }
  }

  private static void checkCertificates(YamlMap m, String key, Path file) {
    if (file == null) {
      return;
    }
    try {
      PemFiles.certificates(file);
    } catch (PemFiles.Invalid e) {
      m.error(key, file + " (" + e.getMessage() + ")");
    }
  }
}
