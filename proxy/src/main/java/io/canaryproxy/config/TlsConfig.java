package io.canaryproxy.config;

import java.nio.file.Path;
import java.util.List;

/**
 * The top-level {@code tls} section: TLS termination on {@code listen}. The files are PEM, as
 * Kubernetes Secrets and cert-manager write them, and are watched: new handshakes use a replaced
 * certificate without a restart.
 *
 * @param certFile the server certificate chain, leaf first
 * @param keyFile the private key of the leaf certificate (PKCS#8, or PKCS#1 RSA), unencrypted
 * @param clientCaFile CA certificates that client certificates must chain to, or {@code null};
 *     required when {@code clientAuth} is not {@code none}
 * @param clientAuth whether a client certificate is asked for; default {@link ClientAuth#NONE}
 * @param protocols TLS versions accepted; default {@code [TLSv1.2, TLSv1.3]}
 * @param ciphers cipher suites (TLS 1.2, IANA or OpenSSL names as the provider takes them), or an
 *     empty list for the provider's defaults
 */
public record TlsConfig(
    Path certFile,
    Path keyFile,
    Path clientCaFile,
    ClientAuth clientAuth,
    List<String> protocols,
    List<String> ciphers) {

  /** TLS versions that may be listed in {@code protocols}. */
  public static final List<String> PROTOCOLS = List.of("TLSv1.2", "TLSv1.3");

  /** Whether the listener asks for a client certificate. */
  public enum ClientAuth {
    /** never asks */
    NONE,
    /** asks; a client without one is served, one with an untrusted one is refused */
    OPTIONAL,
    /** a client without a trusted certificate is refused at the handshake */
    REQUIRE
  }
}
