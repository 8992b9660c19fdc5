package io.canaryproxy.config;

/** A host (name or literal address) and a TCP port, written {@code host:port} in YAML. Port 0 asks the OS for a free port. */
public record HostPort(String host, int port) {
  @Override
  public String toString() {
    return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
  }
}
