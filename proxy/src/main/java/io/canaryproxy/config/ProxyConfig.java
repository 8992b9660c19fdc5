package io.canaryproxy.config;

import java.util.Map;

/**
 * The whole configuration, mirroring the YAML tree in {@code docs/contract.md}. Built only by
 * {@link ConfigLoader}, which validates every value, so an instance is always valid.
 *
 * @param listen proxy listener address
 * @param ioThreads event-loop threads; default: available processors
 * @param admin admin listener
 * @param backends named backend pools, in YAML order
 * @param routing how requests are split between variants
 * @param mirror traffic mirroring, or {@code null} when the section is absent
 * @param rollout automated rollout, or {@code null} when the section is absent
 * @param timeouts connection and request timeouts
 * @param limits request size limits
 * @param metrics histogram settings
 * @param accessLog JSON access log
 * @param drain graceful shutdown
 * @param dns how endpoint names are resolved and refreshed
 * @param tls TLS termination on {@code listen}, or {@code null} for plain HTTP
 * @param proxyProtocol every connection to {@code listen} must start with a PROXY protocol v1 or v2
 *     header, whose source address is then the client's; default false (a PROXY header is then
 *     refused as a bad request)
 */
public record ProxyConfig(
    HostPort listen,
    int ioThreads,
    AdminConfig admin,
    Map<String, BackendConfig> backends,
    RoutingConfig routing,
    MirrorConfig mirror,
    RolloutConfig rollout,
    TimeoutsConfig timeouts,
    LimitsConfig limits,
    MetricsConfig metrics,
    AccessLogConfig accessLog,
    DrainConfig drain,
    DnsConfig dns,
    TlsConfig tls,
    boolean proxyProtocol) {

  /** A plain HTTP listener without PROXY protocol. */
  public ProxyConfig(
      HostPort listen,
      int ioThreads,
      AdminConfig admin,
      Map<String, BackendConfig> backends,
      RoutingConfig routing,
      MirrorConfig mirror,
      RolloutConfig rollout,
      TimeoutsConfig timeouts,
      LimitsConfig limits,
      MetricsConfig metrics,
      AccessLogConfig accessLog,
      DrainConfig drain,
      DnsConfig dns) {
    this(
        listen, ioThreads, admin, backends, routing, mirror, rollout, timeouts, limits, metrics,
        accessLog, drain, dns, null, false);
  }

  /** The same config with another {@code tls} section and PROXY protocol switch. */
  public ProxyConfig withListenerSecurity(TlsConfig nextTls, boolean nextProxyProtocol) {
    return new ProxyConfig(
        listen,
        ioThreads,
        admin,
        backends,
        routing,
        mirror,
        rollout,
        timeouts,
        limits,
        metrics,
        accessLog,
        drain,
        dns,
        nextTls,
        nextProxyProtocol);
  }

  /** The same config with the proxy listener on {@code address}. */
  public ProxyConfig withListen(HostPort address) {
    return new ProxyConfig(
        address,
        ioThreads,
        admin,
        backends,
        routing,
        mirror,
        rollout,
        timeouts,
        limits,
        metrics,
        accessLog,
        drain,
        dns,
        tls,
        proxyProtocol);
  }

  /** The same config with the admin listener on {@code address}. */
  public ProxyConfig withAdminListen(HostPort address) {
    return new ProxyConfig(
        listen,
        ioThreads,
        new AdminConfig(address, admin.tokenFile(), admin.readTokenFile(), admin.publicMetrics()),
        backends,
        routing,
        mirror,
        rollout,
        timeouts,
        limits,
        metrics,
        accessLog,
        drain,
        dns,
        tls,
        proxyProtocol);
  }

  /**
   * The same config with the sections a hot reload applies, {@code backends} and {@code routing},
   * taken from {@code reloaded}: what is live after that reload.
   */
  public ProxyConfig withReloaded(ProxyConfig reloaded) {
    return new ProxyConfig(
        listen,
        ioThreads,
        admin,
        reloaded.backends(),
        reloaded.routing(),
        mirror,
        rollout,
        timeouts,
        limits,
        metrics,
        accessLog,
        drain,
        dns,
        tls,
        proxyProtocol);
  }

  /** The same config with another {@code drain} section. */
  public ProxyConfig withDrain(DrainConfig next) {
    return new ProxyConfig(
        listen,
        ioThreads,
        admin,
        backends,
        routing,
        mirror,
        rollout,
        timeouts,
        limits,
        metrics,
        accessLog,
        next,
        dns,
        tls,
        proxyProtocol);
  }
}
