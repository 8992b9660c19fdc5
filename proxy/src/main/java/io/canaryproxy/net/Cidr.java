package io.canaryproxy.net;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An IPv4 or IPv6 address range such as {@code 10.0.0.0/8} or {@code fd00::/8}. Parsing accepts
 * literal addresses only and never resolves a name. An IPv4 range also contains the IPv4-mapped
 * IPv6 form of its addresses ({@code ::ffff:10.1.2.3}), which dual-stack sockets report for IPv4
 * clients.
 */
public final class Cidr {
  private static final String EXPECTED =
      "an IPv4 or IPv6 CIDR such as 10.0.0.0/8 or fd00::/8; a bare address means one host";

  private final byte[] network;
  private final int prefix;

  private Cidr(byte[] network, int prefix) {
    this.network = network;
    this.prefix = prefix;
  }

  /**
   * Parses {@code address/prefix}, or a bare address (a /32 or /128). Host bits below the prefix
   * are cleared.
   *
   * @throws IllegalArgumentException when the text is not such a range
   */
  public static Cidr parse(String s) {
    int slash = s.indexOf('/');
    byte[] address = parseAddress(slash < 0 ? s : s.substring(0, slash));
    if (address == null) {
      throw new IllegalArgumentException("\"" + s + "\" (expected: " + EXPECTED + ")");
    }
    int bits = address.length * 8;
    int prefix = bits;
    if (slash >= 0) {
      String p = s.substring(slash + 1);
      if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
        throw new IllegalArgumentException("\"" + s + "\" (expected: " + EXPECTED + ")");
      }
      prefix = Integer.parseInt(p);
      if (prefix > bits) {
        throw new IllegalArgumentException(
            "\"" + s + "\" (expected: a prefix length 0.." + bits + ")");
      }
    }
    for (int i = 0; i < address.length; i++) {
      address[i] &= mask(prefix, i);
    }
    return new Cidr(address, prefix);
  }

  /**
   * Parses a literal IPv4 ({@code a.b.c.d}) or IPv6 address (with {@code ::} and an optional
   * trailing dotted IPv4 part; no zone), without any name lookup.
   *
   * @return the address, or {@code null} when {@code s} is not such a literal
   */
  public static InetAddress parseLiteral(String s) {
    byte[] bytes = parseAddress(s);
    if (bytes == null) {
      return null;
    }
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      throw new AssertionError("a 4- or 16-byte address is always valid", e);
    }
  }

  /** True when {@code a} lies in this range; {@code null} is in no range. */
  public boolean contains(InetAddress a) {
    if (a == null) {
      return false;
    }
    byte[] b = a.getAddress();
    int offset = 0;
    if (b.length != network.length) {
      if (network.length == 4 && isV4Mapped(b)) {
        offset = 12;
      } else {
        return false;
      }
    }
    for (int i = 0; i < network.length; i++) {
      if ((b[offset + i] & mask(prefix, i)) != network[i]) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    try {
      return InetAddress.getByAddress(network).getHostAddress() + "/" + prefix;
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  private static boolean isV4Mapped(byte[] b) {
    for (int i = 0; i < 10; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return b[10] == (byte) 0xff && b[11] == (byte) 0xff;
  }

  /** The mask byte for byte {@code i} of an address under a prefix of {@code prefix} bits. */
  private static byte mask(int prefix, int i) {
    int bits = Math.max(0, Math.min(8, prefix - 8 * i));
    return (byte) (0xff00 >> bits);
  }

  private static byte[] parseAddress(String s) {
    return s.indexOf(':') >= 0 ? parseV6(s) : parseV4(s, new byte[4], 0);
  }

  private static byte[] parseV4(String s, byte[] out, int at) {
    int part = 0;
    int value = 0;
    int digits = 0;
    for (int i = 0; i <= s.length(); i++) {
      char c = i < s.length() ? s.charAt(i) : '.';
      if (c >= '0' && c <= '9') {
        value = value * 10 + (c - '0');
        digits++;
        if (digits > 3 || value > 255) {
          return null;
        }
      } else if (c == '.' && digits > 0 && part < 4) {
        out[at + part++] = (byte) value;
        value = 0;
        digits = 0;
      } else {
        return null;
      }
    }
    return part == 4 ? out : null;
  }

  private static byte[] parseV6(String s) {
    byte[] out = new byte[16];
    int gap = s.indexOf("::");
    if (gap >= 0 && s.indexOf("::", gap + 1) >= 0) {
      return null;
    }
    String head = gap >= 0 ? s.substring(0, gap) : s;
    String tail = gap >= 0 ? s.substring(gap + 2) : "";
    int[] headGroups = groups(head, out, 0, gap < 0);
    if (headGroups == null) {
      return null;
    }
    if (gap < 0) {
      return headGroups[0] == 16 ? out : null;
    }
    byte[] end = new byte[16];
    int[] tailGroups = groups(tail, end, 0, true);
    if (tailGroups == null || headGroups[0] + tailGroups[0] > 14) {
      return null;
    }
    System.arraycopy(end, 0, out, 16 - tailGroups[0], tailGroups[0]);
    return out;
  }

  /**
   * Parses colon-separated hex groups of {@code part} into {@code out}; the last group may be
   * dotted IPv4 when {@code allowV4}. Returns the number of bytes written in a one-element array,
   * or null.
   */
  private static int[] groups(String part, byte[] out, int at, boolean allowV4) {
    if (part.isEmpty()) {
      return new int[] {0};
    }
    int n = at;
    int start = 0;
    while (true) {
      int colon = part.indexOf(':', start);
      String group = colon < 0 ? part.substring(start) : part.substring(start, colon);
      if (colon < 0 && allowV4 && group.indexOf('.') >= 0) {
        if (n + 4 > 16 || parseV4(group, out, n) == null) {
          return null;
        }
        return new int[] {n + 4 - at};
      }
      if (group.isEmpty() || group.length() > 4 || n + 2 > 16) {
        return null;
      }
      int v = 0;
      for (int i = 0; i < group.length(); i++) {
        char c = group.charAt(i);
        int d = c < 128 ? Character.digit(c, 16) : -1;
        if (d < 0) {
          return null;
        }
        v = v * 16 + d;
      }
      out[n++] = (byte) (v >> 8);
      out[n++] = (byte) v;
      if (colon < 0) {
        return new int[] {n - at};
      }
      start = colon + 1;
    }
  }
}
