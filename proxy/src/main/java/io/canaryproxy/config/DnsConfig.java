package io.canaryproxy.config;

import java.time.Duration;
import java.util.List;

/**
 * The {@code dns} section: how backend endpoints given by name are resolved and kept current.
 *
 * @param minTtl shortest time an answer is used before the name is asked again (a TTL floor);
 *     default 1s
 * @param maxTtl longest time an answer is used, whatever its TTL (a TTL ceiling); default 30s. Also
 *     the longest wait between retries while a name does not resolve.
 * @param family which address families to use; default {@link Family#V4_PREFERRED}
 * @param servers name servers as literal {@code ip:port}; empty (the default) uses {@code
 *     /etc/resolv.conf}
 * @param queryTimeout how long one query waits for an answer; default 2s
 */
public record DnsConfig(
    Duration minTtl,
    Duration maxTtl,
    Family family,
    List<HostPort> servers,
    Duration queryTimeout) {

  /** The defaults, as when the section is absent. */
  public static DnsConfig defaults() {
    return new DnsConfig(
        Duration.ofSeconds(1),
        Duration.ofSeconds(30),
        Family.V4_PREFERRED,
        List.of(),
        Duration.ofSeconds(2));
  }

  /** Which A (IPv4) and AAAA (IPv6) records are used. */
  public enum Family {
    /** IPv4 addresses when the name has any, else IPv6 */
    V4_PREFERRED,
    /** IPv6 addresses when the name has any, else IPv4 */
    V6_PREFERRED,
    V4_ONLY,
    V6_ONLY,
    /** every address of both families */
    ALL
  }
}
