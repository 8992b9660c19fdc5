package io.canaryproxy.coordination;

import io.canaryproxy.config.BackendTlsConfig;
import io.canaryproxy.config.PemFiles;
import java.io.IOException;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The JDK {@link SSLContext} for {@code rollout.coordination.tls}: etcd's certificate must chain to
 * {@code caFile} (else the JDK's trust store) and name the endpoint's host, or {@code serverName}
 * when set; {@code certFile}/{@code keyFile} are the client certificate that etcd's {@code
 * --client-cert-auth} asks for. {@code insecureSkipVerify} trusts any certificate (tests only).
 */
final class EtcdTls {
  private EtcdTls() {}

  /**
   * @throws IOException naming {@code rollout.coordination.tls} when a PEM file cannot be used
   */
  static SSLContext context(BackendTlsConfig tls) throws IOException {
    try {
      KeyManagerFactory keys = null;
      if (tls.certFile() != null) {
        List<X509Certificate> chain = PemFiles.certificates(tls.certFile());
        PrivateKey key = PemFiles.privateKey(tls.keyFile());
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("client", key, new char[0], chain.toArray(new X509Certificate[0]));
        keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, new char[0]);
      }
      TrustManager trust = tls.insecureSkipVerify() ? new AnyCertificate() : verifying(tls);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keys == null ? null : keys.getKeyManagers(), new TrustManager[] {trust}, null);
      return context;
    } catch (PemFiles.Invalid | GeneralSecurityException e) {
      throw new IOException("rollout.coordination.tls: " + e.getMessage(), e);
    }
  }

  private static TrustManager verifying(BackendTlsConfig tls)
      throws PemFiles.Invalid, GeneralSecurityException, IOException {
    KeyStore cas = null;
    if (tls.caFile() != null) {
      cas = KeyStore.getInstance("PKCS12");
      cas.load(null, null);
      int i = 0;
      for (X509Certificate ca : PemFiles.certificates(tls.caFile())) {
        cas.setCertificateEntry("ca-" + i++, ca);
      }
    }
    TrustManagerFactory f =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    f.init(cas);
    X509ExtendedTrustManager chain = null;
    for (TrustManager tm : f.getTrustManagers()) {
      if (tm instanceof X509ExtendedTrustManager x) {
        chain = x;
      }
    }
    if (chain == null) {
      throw new GeneralSecurityException("no X.509 trust manager in this JDK");
    }
    // without serverName, the JDK's own check of the endpoint's host name applies as is
    return tls.serverName() == null ? chain : new NamedServer(chain, tls.serverName());
  }

  /**
   * Checks the chain with the JDK's trust manager and the host name against {@code serverName}
   * rather than the endpoint's host (an etcd reached by IP whose certificate names its DNS name).
   */
  private static final class NamedServer extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager chain;
    private final String serverName;

    NamedServer(X509ExtendedTrustManager chain, String serverName) {
      this.chain = chain;
      this.serverName = serverName;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] certs, String authType, SSLEngine engine)
        throws CertificateException {
      checkServerTrusted(certs, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] certs, String authType, Socket socket)
        throws CertificateException {
      checkServerTrusted(certs, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] certs, String authType)
        throws CertificateException {
      chain.checkServerTrusted(certs, authType); // the chain only: this form checks no host name
      if (!names(certs[0], serverName)) {
        throw new CertificateException(
            "etcd's certificate does not name " + serverName + " (rollout.coordination.tls)");
      }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] certs, String authType, SSLEngine engine)
        throws CertificateException {
      throw new CertificateException("a client-side trust manager");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] certs, String authType, Socket socket)
        throws CertificateException {
      throw new CertificateException("a client-side trust manager");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] certs, String authType)
        throws CertificateException {
      throw new CertificateException("a client-side trust manager");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return chain.getAcceptedIssuers();
    }
  }

  /**
   * Whether {@code cert}'s subject alternative names include the DNS name {@code host} (RFC 6125
   * section 6.4: case-insensitive, a {@code *} only as the whole leftmost label, matching one
   * label) or, for an IP address, that address.
   */
  static boolean names(X509Certificate cert, String host) throws CertificateParsingException {
    Collection<List<?>> sans = cert.getSubjectAlternativeNames();
    if (sans == null) {
      return false;
    }
    String h = host.toLowerCase(Locale.ROOT);
    for (List<?> san : sans) {
      int type = (Integer) san.get(0);
      String value = String.valueOf(san.get(1)).toLowerCase(Locale.ROOT);
      if (type == 7 && value.equals(h)) {
        return true;
      }
      if (type == 2
          && (value.equals(h)
              || (value.startsWith("*.")
                  && h.indexOf('.') > 0
                  && h.substring(h.indexOf('.')).equals(value.substring(1))))) {
        return true;
      }
    }
    return false;
  }

  /**
   * {@code insecureSkipVerify: true}: any certificate, any name. Extended, so that the JDK does not
   * add its own host name check around it.
   */
  private static final class AnyCertificate extends X509ExtendedTrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] certs, String authType, Socket socket) {}

    @Override
    public void checkServerTrusted(X509Certificate[] certs, String authType, Socket socket) {}

    @Override
    public void checkClientTrusted(X509Certificate[] certs, String authType, SSLEngine engine) {}

    @Override
    public void checkServerTrusted(X509Certificate[] certs, String authType, SSLEngine engine) {}

    @Override
    public void checkClientTrusted(X509Certificate[] certs, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] certs, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
