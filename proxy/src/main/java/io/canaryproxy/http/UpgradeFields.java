package io.canaryproxy.http;

import io.netty.util.AsciiString;

/**
 * The header fields of a protocol upgrade (RFC 9110 §7.8): which upgrade a request asks for, and
 * how to put {@code Upgrade} and {@code Connection: upgrade} back on a head after {@link HopByHop}
 * removed them (they apply to one connection, but a tunnelling proxy re-asserts them on each hop).
 */
public final class UpgradeFields {
  /** The {@code HTTP2-Settings} field sent with {@code Upgrade: h2c} (RFC 7540 §3.2.1). */
  public static final AsciiString HTTP2_SETTINGS = AsciiString.cached("http2-settings");

  private static final AsciiString UPGRADE_TOKEN = AsciiString.cached("upgrade");

  private UpgradeFields() {}

  /**
   * The {@code Upgrade} value of a head whose {@code Connection} lists the {@code upgrade} option,
   * or {@code null} when it asks for no upgrade (an {@code Upgrade} field that {@code Connection}
   * does not name is not a request to switch).
   */
  public static String requested(Headers headers) {
    String upgrade = headers.get(HeaderNames.UPGRADE);
    if (upgrade == null || upgrade.isBlank()) {
      return null;
    }
    for (String connection : headers.getAll(HeaderNames.CONNECTION)) {
      if (listsToken(connection, UPGRADE_TOKEN)) {
        return upgrade.trim();
      }
    }
    return null;
  }

  /** True when the comma-separated {@code upgrade} value names {@code h2c} among its protocols. */
  public static boolean isH2c(String upgrade) {
    int start = 0;
    while (start <= upgrade.length()) {
      int comma = upgrade.indexOf(',', start);
      int end = comma < 0 ? upgrade.length() : comma;
      String token = upgrade.substring(start, end).trim();
      int slash = token.indexOf('/');
      if ((slash < 0 ? token : token.substring(0, slash)).equalsIgnoreCase("h2c")) {
        return true;
      }
      start = end + 1;
    }
    return false;
  }

  /** Sets {@code Upgrade: protocol} and {@code Connection: upgrade} on a head (after stripping). */
  public static void assertUpgrade(Headers headers, String protocol) {
    headers.set(HeaderNames.UPGRADE, protocol);
    headers.set(HeaderNames.CONNECTION, UPGRADE_TOKEN);
  }

  private static boolean listsToken(String list, AsciiString token) {
    int start = 0;
    int len = list.length();
    while (start < len) {
      int comma = list.indexOf(',', start);
      int end = comma < 0 ? len : comma;
      int s = start;
      int e = end;
      while (s < e && list.charAt(s) <= ' ') {
        s++;
      }
      while (e > s && list.charAt(e - 1) <= ' ') {
        e--;
      }
      if (e - s == token.length() && list.regionMatches(true, s, token.toString(), 0, e - s)) {
        return true;
      }
      start = end + 1;
    }
    return false;
  }
}
