package io.canaryproxy.discovery;

import java.net.InetAddress;
import java.util.List;

/**
 * One answer for a name.
 *
 * @param addresses at least one address, in no particular order
 * @param ttlSeconds the smallest TTL of the records that gave them
 */
public record Resolution(List<InetAddress> addresses, long ttlSeconds) {
  public Resolution {
    if (addresses.isEmpty()) {
      throw new IllegalArgumentException("a resolution has at least one address");
    }
    addresses = List.copyOf(addresses);
  }
}
