package io.canaryproxy.http;

import io.netty.util.AsciiString;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Removes the header fields that apply to one connection only (RFC 9110 §7.6.1): {@code Connection}
 * and every field it names, {@code Keep-Alive}, {@code TE}, {@code Trailer}, {@code Upgrade}, and
 * any {@code Proxy-*} field.
 *
 * <p>{@code Connection} can never remove a field that frames the message or that the proxy itself
 * read: {@code Content-Length}, {@code Transfer-Encoding}, {@code Host}, and the names the caller
 * protects (the headers routing reads). Such names in {@code Connection} are ignored. Removing them
 * would let a client make the proxy forward a body without its framing, which the backend would
 * then read as a second request (request smuggling), or route by a header the backend never sees.
 */
public final class HopByHop {
  private static final AsciiString PROXY_PREFIX = AsciiString.cached("proxy-");
  private static final String KEEP_ALIVE = "keep-alive";
  private static final String CLOSE = "close";

  /** The fixed hop-by-hop fields; {@code strip} notes field {@code i} as bit {@code 1 << i}. */
  private static final AsciiString[] FIXED = {
    HeaderNames.CONNECTION,
    HeaderNames.KEEP_ALIVE,
    HeaderNames.TE,
    HeaderNames.TRAILER,
    HeaderNames.UPGRADE
  };

  private static final int CONNECTION_BIT = 1;

  private HopByHop() {}

  /** Strips a response head: only the framing fields are protected. */
  public static void strip(Headers headers) {
    if (!headers.stripHopByHopAsRead()) {
      strip(headers, Set.of());
    }
  }

  /**
   * Strips a head; {@code keep} holds lower-case names that {@code Connection} may not remove, in
   * addition to the framing fields and {@code Host}.
   */
  public static void strip(Headers headers, Set<String> keep) {
    // One pass decides whether anything is to be removed; most heads carry no hop-by-hop field but
    // Connection.
    int fixed = 0; // the fixed hop-by-hop fields present: only those are looked for again below
    int connections = 0;
    List<String> proxyFields = null;
    for (Map.Entry<CharSequence, CharSequence> field : headers) {
      CharSequence name = field.getKey();
      int bit = fixedHopByHop(name);
      if (bit != 0) {
        fixed |= bit;
        if (bit == CONNECTION_BIT) {
          connections++;
        }
      } else if (name.length() > PROXY_PREFIX.length()
          && (name.charAt(0) | 0x20) == 'p'
          && AsciiString.regionMatches(name, true, 0, PROXY_PREFIX, 0, PROXY_PREFIX.length())) {
        if (proxyFields == null) {
          proxyFields = new ArrayList<>(2);
        }
        proxyFields.add(name.toString());
      }
    }
    if (fixed != 0) {
      // Every Connection field counts, not only the first (RFC 9110 §5.3: they form one list); the
      // usual single one is read without a list.
      if (connections == 1) {
        removeListed(headers, headers.get(HeaderNames.CONNECTION), keep);
      } else if (connections > 1) {
        for (String connection : headers.getAll(HeaderNames.CONNECTION)) {
          removeListed(headers, connection, keep);
        }
      }
      // Connection options only remove fields: one of these absent before is absent still.
      for (int i = 0; i < FIXED.length; i++) {
        if ((fixed & (1 << i)) != 0) {
          headers.remove(FIXED[i]);
        }
      }
    }
    if (proxyFields != null) {
      for (String name : proxyFields) {
        headers.remove(name);
      }
    }
  }

  /** The bit of {@code name} in {@link #FIXED}, or 0 when it is not one of them. */
  private static int fixedHopByHop(CharSequence name) {
    int len = name.length();
    if (len != 2 && len != 7 && len != 10) {
      return 0;
    }
    // The length and the first letter single out the one candidate (most names: none).
    return switch (name.charAt(0) | 0x20) {
      case 't' -> len == 2 ? bitIf(name, 2) : len == 7 ? bitIf(name, 3) : 0;
      case 'u' -> len == 7 ? bitIf(name, 4) : 0;
      case 'c' -> len == 10 ? bitIf(name, 0) : 0;
      case 'k' -> len == 10 ? bitIf(name, 1) : 0;
      default -> 0;
    };
  }

  private static int bitIf(CharSequence name, int i) {
    return AsciiString.contentEqualsIgnoreCase(name, FIXED[i]) ? 1 << i : 0;
  }

  /**
   * Removes the field named by one Connection option. The usual options cost no substring: {@code
   * keep-alive} names a field that strip() removes anyway, and {@code close} is looked up by its
   * constant.
   */
  private static void removeOption(
      Headers headers, String connection, int start, int end, Set<String> keep) {
    int len = end - start;
    if (len == KEEP_ALIVE.length() && connection.regionMatches(true, start, KEEP_ALIVE, 0, len)) {
      return;
    }
    if (len == CLOSE.length() && connection.regionMatches(true, start, CLOSE, 0, len)) {
      headers.remove(HeaderNames.CLOSE);
      return;
    }
    String name = connection.substring(start, end).toLowerCase(Locale.ROOT);
    if (isFraming(name) || keep.contains(name)) {
      return; // never hop-by-hop here: see the class comment
    }
    headers.remove(name);
  }

  private static boolean isFraming(String lowerCaseName) {
    return lowerCaseName.equals("content-length")
        || lowerCaseName.equals("transfer-encoding")
        || lowerCaseName.equals("host");
  }

  /** Removes each comma-separated field name listed in a Connection header value. */
  private static void removeListed(Headers headers, String connection, Set<String> keep) {
    int start = 0;
    int len = connection.length();
    while (start < len) {
      int comma = connection.indexOf(',', start);
      int end = comma < 0 ? len : comma;
      int s = start;
      int e = end;
      while (s < e && connection.charAt(s) <= ' ') {
        s++;
      }
      while (e > s && connection.charAt(e - 1) <= ' ') {
        e--;
      }
      if (e > s) {
        removeOption(headers, connection, s, e, keep);
      }
      start = end + 1;
    }
  }
}
