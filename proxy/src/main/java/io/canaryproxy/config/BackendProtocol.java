package io.canaryproxy.config;

import java.util.Locale;

/**
 * How the proxy speaks to a backend's endpoints ({@code backends.NAME.protocol}): HTTP/1.1 (the
 * default), cleartext HTTP/2 with prior knowledge ({@code h2c}, RFC 9113 §3.3), or HTTP/2 over TLS
 * negotiated by ALPN ({@code h2}, which needs the backend's {@code tls} section).
 */
public enum BackendProtocol {
  HTTP1,
  H2C,
  H2;

  /** What {@code backends.NAME.protocol} accepts, for error messages. */
  public static final String EXPECTED = "http1 | h2c | h2";

  /** True for the two HTTP/2 protocols: streams multiplexed on a connection. */
  public boolean multiplexed() {
    return this != HTTP1;
  }

  /** The YAML spelling: {@code http1}, {@code h2c} or {@code h2}. */
  public String yamlName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The protocol named {@code text} as in YAML, or {@code null} when it names none. */
  public static BackendProtocol parse(String text) {
    for (BackendProtocol p : values()) {
      if (p.yamlName().equals(text)) {
        return p;
      }
    }
    return null;
  }
}
