package io.canaryproxy.config;

import io.canaryproxy.net.Cidr;
import java.net.InetAddress;
import java.nio.file.Path;

/**
 * Reads the {@code admin} section: off loopback the listener needs {@code admin.tokenFile}, and the
 * read token goes only with the control token.
 */
final class AdminParser {
  static final String[] KEYS = {"listen", "tokenFile", "readTokenFile", "publicMetrics"};

  private AdminParser() {}

  /** The admin config from {@code m}; with {@code readFiles}, its token files are read too. */
  static AdminConfig parse(YamlMap m, boolean readFiles) {
    HostPort listen = m.hostPort("listen", new HostPort("127.0.0.1", 9901));
    Path tokenFile = m.filePath("tokenFile");
    Path readTokenFile = m.filePath("readTokenFile");
    boolean publicMetrics = m.bool("publicMetrics", false);
    if (tokenFile == null && !isLoopback(listen.host())) {
      m.error(
          "listen",
          RoutingParser.quote(listen.toString())
              + " (expected: a loopback address such as 127.0.0.1:9901, or set admin.tokenFile)");
    }
    if (readTokenFile != null && tokenFile == null) {
      m.invalid("readTokenFile", "set only together with admin.tokenFile, the control token");
    }
    AdminConfig admin = new AdminConfig(listen, tokenFile, readTokenFile, publicMetrics);
    if (readFiles) {
      ConfigFiles.readTokens(admin, m.errors());
    }
    return admin;
  }

  /** Only "localhost" and loopback literals count: other names could resolve anywhere. */
  private static boolean isLoopback(String host) {
    if (host.equalsIgnoreCase("localhost")) {
      return true;
    }
    InetAddress a = Cidr.parseLiteral(host);
    return a != null && a.isLoopbackAddress();
  }
}
