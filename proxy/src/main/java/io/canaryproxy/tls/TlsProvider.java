package io.canaryproxy.tls;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;

/**
 * The TLS implementation every context uses: OpenSSL (BoringSSL from netty-tcnative) when its
 * native library loads on this machine, the JDK's otherwise. {@code -Dcanaryproxy.noOpenSsl=true}
 * forces the JDK (tests use it to cover both).
 */
public final class TlsProvider {
  private static final SslProvider PROVIDER =
      !Boolean.getBoolean("canaryproxy.noOpenSsl") && OpenSsl.isAvailable()
          ? SslProvider.OPENSSL
          : SslProvider.JDK;

  private TlsProvider() {}

  /** The provider in use. */
  public static SslProvider provider() {
    return PROVIDER;
  }

  /** {@code openssl} or {@code jdk}, as the start-up log and {@code /admin/config} show it. */
  public static String name() {
    return PROVIDER == SslProvider.OPENSSL ? "openssl" : "jdk";
  }

  /** A line for the start-up log: the provider and its version, or why OpenSSL is not used. */
  public static String describe() {
    if (PROVIDER == SslProvider.OPENSSL) {
      return "openssl (" + OpenSsl.versionString() + ")";
    }
    Throwable why = OpenSsl.unavailabilityCause();
    return "jdk"
        + (Boolean.getBoolean("canaryproxy.noOpenSsl")
            ? " (canaryproxy.noOpenSsl is set)"
            : why == null ? "" : " (OpenSSL unavailable: " + why.getMessage() + ")");
  }
}
