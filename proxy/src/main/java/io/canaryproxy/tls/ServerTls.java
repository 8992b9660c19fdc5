package io.canaryproxy.tls;

import io.canaryproxy.config.PemFiles;
import io.canaryproxy.config.TlsConfig;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listener's TLS context, built from the {@code tls} section's PEM files. {@link #reload()}
 * builds a new context from the files as they are now and swaps it in atomically: handshakes that
 * start afterwards use it, connections already open keep theirs. A reload that fails (a half
 * written file, a key that does not match) keeps the old context and is logged.
 */
public final class ServerTls {
  private static final Logger log = LoggerFactory.getLogger(ServerTls.class);

  /**
   * ALPN: HTTP/2 preferred, then HTTP/1.1. The listener tells them apart by the connection preface
   * (server.PrefaceDetectHandler), so a client that negotiated nothing is served too.
   */
  private static final ApplicationProtocolConfig ALPN =
      new ApplicationProtocolConfig(
          ApplicationProtocolConfig.Protocol.ALPN,
          ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
          ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
          ApplicationProtocolNames.HTTP_2,
          ApplicationProtocolNames.HTTP_1_1);

  private final TlsConfig config;
  private final AtomicReference<SslContext> current = new AtomicReference<>();
  private volatile String subject;

  /**
   * Builds the first context.
   *
   * @throws IllegalArgumentException naming the {@code tls} key when a file cannot be used
   */
  public ServerTls(TlsConfig config) {
    this.config = config;
    try {
      current.set(build());
    } catch (PemFiles.Invalid | SSLException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /** The context new handshakes use. */
  public SslContext current() {
    return current.get();
  }

  /** The section this was built from. */
  public TlsConfig config() {
    return config;
  }

  /** The subject of the certificate in use, for logs. */
  public String subject() {
    return subject;
  }

  /**
   * Rebuilds the context from the files; returns false (old context kept) when they are unusable.
   */
  public boolean reload() {
    try {
      current.set(build());
      log.info("tls: certificate reloaded: {}", subject);
      return true;
    } catch (PemFiles.Invalid | SSLException | RuntimeException e) {
      log.warn(
          "tls: new certificate files not used, the previous certificate stays: {}",
          e.getMessage());
      return false;
    }
  }

  private SslContext build() throws PemFiles.Invalid, SSLException {
    List<X509Certificate> chain = certificates("tls.certFile", config);
    PrivateKey key;
    try {
      key = PemFiles.privateKey(config.keyFile());
      PemFiles.checkPair(chain.get(0), key);
    } catch (PemFiles.Invalid e) {
      throw new PemFiles.Invalid("tls.keyFile: " + config.keyFile() + " (" + e.getMessage() + ")");
    }
    SslContextBuilder b =
        SslContextBuilder.forServer(key, chain.toArray(new X509Certificate[0]))
            .sslProvider(TlsProvider.provider())
            .protocols(config.protocols())
            .applicationProtocolConfig(ALPN);
    if (!config.ciphers().isEmpty()) {
      b.ciphers(config.ciphers());
    }
    if (config.clientCaFile() != null) {
      List<X509Certificate> cas;
      try {
        cas = PemFiles.certificates(config.clientCaFile());
      } catch (PemFiles.Invalid e) {
        throw new PemFiles.Invalid(
            "tls.clientCaFile: " + config.clientCaFile() + " (" + e.getMessage() + ")");
      }
      b.trustManager(cas.toArray(new X509Certificate[0]));
    }
    b.clientAuth(
        switch (config.clientAuth()) {
          case NONE -> ClientAuth.NONE;
          case OPTIONAL -> ClientAuth.OPTIONAL;
          case REQUIRE -> ClientAuth.REQUIRE;
        });
    SslContext context = b.build();
    subject = chain.get(0).getSubjectX500Principal().getName();
    return context;
  }

  private static List<X509Certificate> certificates(String key, TlsConfig config)
      throws PemFiles.Invalid {
    try {
      return PemFiles.certificates(config.certFile());
    } catch (PemFiles.Invalid e) {
      throw new PemFiles.Invalid(key + ": " + config.certFile() + " (" + e.getMessage() + ")");
    }
  }
}
