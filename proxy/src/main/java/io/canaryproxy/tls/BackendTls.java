package io.canaryproxy.tls;

import io.canaryproxy.config.BackendTlsConfig;
import io.canaryproxy.config.PemFiles;
import io.canaryproxy.pool.ConnectionTls;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS to a backend ({@code backends.NAME.tls}): one client {@code SslContext} per distinct section,
 * shared by every event loop and by the primary and shadow pools (each keeps its own connections).
 * The server certificate must chain to {@code caFile} (or the JDK's trust store) and match the host
 * name ({@code serverName}, else the endpoint's host), unless {@code insecureSkipVerify}.
 *
 * <p>When the section's files change, {@link #reloadChanged()} (driven by {@link
 * BackendTlsReloader}) rebuilds the context: handshakes of new connections use the new CA or client
 * certificate, pooled connections keep the session they have, as on the listener side.
 */
public final class BackendTls {
  private static final Logger log = LoggerFactory.getLogger(BackendTls.class);
  private static final Map<BackendTlsConfig, BackendTls> BY_CONFIG = new ConcurrentHashMap<>();

  /** The same, for backends with {@code protocol: h2}: their handshakes offer only {@code h2}. */
  private static final Map<BackendTlsConfig, BackendTls> BY_CONFIG_H2 = new ConcurrentHashMap<>();

  private static final ApplicationProtocolConfig ALPN =
      new ApplicationProtocolConfig(
          ApplicationProtocolConfig.Protocol.ALPN,
          ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
          ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
          ApplicationProtocolNames.HTTP_1_1);

  /**
   * ALPN for {@code protocol: h2}: only {@code h2} is offered, and a server that selects nothing
   * fails the connection when it is checked after the handshake (RFC 9113 §3.2).
   */
  private static final ApplicationProtocolConfig ALPN_H2 =
      new ApplicationProtocolConfig(
          ApplicationProtocolConfig.Protocol.ALPN,
          ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
          ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
          ApplicationProtocolNames.HTTP_2);

  private final BackendTlsConfig config;
  private final ApplicationProtocolConfig alpn;
  private final Map<String, ConnectionTls> byHost = new ConcurrentHashMap<>();
  private volatile SslContext context;
  private byte[] contentHash; // guarded by this

  private BackendTls(BackendTlsConfig config) {
    this(config, ALPN);
  }

  private BackendTls(BackendTlsConfig config, ApplicationProtocolConfig alpn) {
    this.config = config;
    this.alpn = alpn;
    this.contentHash = PemFiles.contentHash(files(config));
    this.context = build(config, alpn);
  }

  /** The PEM files a section reads (CA, client certificate and key), in that order. */
  public static List<Path> files(BackendTlsConfig config) {
    return Stream.of(config.caFile(), config.certFile(), config.keyFile())
        .filter(Objects::nonNull)
        .map(Path::toAbsolutePath)
        .toList();
  }

  /**
   * Rebuilds the context of every section in use whose files' content changed since it was last
   * built. A section whose new files cannot be used (say a certificate written before its key)
   * keeps its context and is tried again on the next call.
   *
   * @return false when the files of some changed section could not be used
   */
  public static boolean reloadChanged() {
    boolean allUsed = true;
    for (BackendTls tls : BY_CONFIG.values()) {
      allUsed &= tls.reloadIfChanged();
    }
    for (BackendTls tls : BY_CONFIG_H2.values()) {
      allUsed &= tls.reloadIfChanged();
    }
    return allUsed;
  }

  private synchronized boolean reloadIfChanged() {
    byte[] hash = PemFiles.contentHash(files(config));
    if (hash == null || Arrays.equals(hash, contentHash)) {
      return true; // unchanged, or a file missing mid-swap (the next event or poll tries again)
    }
    try {
      context = build(config, alpn);
      contentHash = hash;
      log.info("backend tls: files reloaded: {}", files(config));
      return true;
    } catch (IllegalArgumentException e) {
      log.warn("backend tls: new files not used, the previous ones stay: {}", e.getMessage());
      return false;
    }
  }

  private static SslContext build(BackendTlsConfig config, ApplicationProtocolConfig alpn) {
    try {
      SslContextBuilder b =
          SslContextBuilder.forClient()
              .sslProvider(TlsProvider.provider())
              .applicationProtocolConfig(alpn);
      if (config.insecureSkipVerify()) {
        b.trustManager(InsecureTrustManagerFactory.INSTANCE).endpointIdentificationAlgorithm(null);
      } else {
        b.endpointIdentificationAlgorithm("HTTPS");
        if (config.caFile() != null) {
          List<X509Certificate> cas = PemFiles.certificates(config.caFile());
          b.trustManager(cas.toArray(new X509Certificate[0]));
        }
      }
      if (config.certFile() != null) {
        List<X509Certificate> chain = PemFiles.certificates(config.certFile());
        b.keyManager(PemFiles.privateKey(config.keyFile()), chain.toArray(new X509Certificate[0]));
      }
      return b.build();
    } catch (PemFiles.Invalid | SSLException e) {
      throw new IllegalArgumentException("backend tls: " + e.getMessage(), e);
    }
  }

  /**
   * How connections to {@code host} (an endpoint's configured host) speak TLS under {@code config},
   * or {@code null} when the backend has no TLS. The same section and host give the same instance,
   * so a reload that leaves them alone keeps the pooled connections.
   */
  public static ConnectionTls forEndpoint(BackendTlsConfig config, String host) {
    if (config == null || !config.enabled()) {
      return null;
    }
    BackendTls tls = BY_CONFIG.computeIfAbsent(config, BackendTls::new);
    return tls.byHost.computeIfAbsent(host, tls::connectionTls);
  }

  /**
   * As {@link #forEndpoint(BackendTlsConfig, String)}, for a backend speaking HTTP/2 over TLS when
   * {@code h2}: its handshakes offer {@code h2} by ALPN instead of {@code http/1.1}.
   */
  public static ConnectionTls forEndpoint(BackendTlsConfig config, String host, boolean h2) {
    if (!h2) {
      return forEndpoint(config, host);
    }
    if (config == null || !config.enabled()) {
      return null;
    }
    BackendTls tls = BY_CONFIG_H2.computeIfAbsent(config, c -> new BackendTls(c, ALPN_H2));
    return tls.byHost.computeIfAbsent(host, tls::connectionTls);
  }

  private ConnectionTls connectionTls(String host) {
    String peer = config.serverName() != null ? config.serverName() : host;
    return (alloc, address) -> {
      SslHandler handler = context.newHandler(alloc, peer, address.getPort());
      if (!config.insecureSkipVerify()) {
        // Set here too, not only on the builder: host name checks must never depend on a default.
        SSLEngine engine = handler.engine();
        SSLParameters params = engine.getSSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS");
        engine.setSSLParameters(params);
      }
      return handler;
    };
  }
}
