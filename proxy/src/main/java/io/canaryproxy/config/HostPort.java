package io.canaryproxy.config;

/**
 * A host (name or literal address) and a TCP port, written {@code host:port} in YAML. Port 0 asks
 * the OS for a free port.
 */
public record HostPort(String host, int port) {
  static final String EXPECTED = "host:port with port 0..65535, IPv6 as [::1]:80";

  /**
   * Parses {@code host:port}, or {@code [v6-literal]:port} for IPv6; the brackets are not kept in
   * {@link #host()}.
   *
   * @throws IllegalArgumentException when the text is not of that form or the port is outside
   *     0..65535
   */
  public static HostPort parse(String s) {
    int colon = s.lastIndexOf(':');
    if (colon <= 0 || colon == s.length() - 1) {
      throw new IllegalArgumentException(s + " (expected: " + EXPECTED + ")");
    }
    String host = s.substring(0, colon);
    if (host.startsWith("[")) {
      if (!host.endsWith("]") || host.length() < 3) {
        throw new IllegalArgumentException(s + " (expected: " + EXPECTED + ")");
      }
      host = host.substring(1, host.length() - 1);
    } else if (host.indexOf(':') >= 0 || host.indexOf(']') >= 0) {
      throw new IllegalArgumentException(s + " (expected: " + EXPECTED + ")");
    }
    int port = 0;
    for (int i = colon + 1; i < s.length(); i++) {
      char c = s.charAt(i);
      port = port * 10 + (c - '0');
      if (c < '0' || c > '9' || port > 65535) {
        throw new IllegalArgumentException(s + " (expected: " + EXPECTED + ")");
      }
    }
    for (int i = 0; i < host.length(); i++) {
      char c = host.charAt(i);
      if (c <= ' ' || c == '/' || c == '[' || c == ']') {
        throw new IllegalArgumentException(s + " (expected: " + EXPECTED + ")");
      }
    }
    return new HostPort(host, port);
  }

  @Override
  public String toString() {
    return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
  }
}
