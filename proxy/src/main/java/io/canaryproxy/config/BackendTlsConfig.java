package io.canaryproxy.config;

import java.nio.file.Path;

/**
 * {@code backends.NAME.tls}: TLS to the endpoints of one backend. The server certificate is always
 * verified (chain and host name) unless {@code insecureSkipVerify}.
 *
 * @param enabled speak TLS to this backend; default false
 * @param caFile CA certificates (PEM) the backend's certificate must chain to, or {@code null} for
 *     the JDK's default trust store
 * @param certFile client certificate chain (PEM) for mTLS, or {@code null}; needs {@code keyFile}
 * @param keyFile client private key (PEM), or {@code null}; needs {@code certFile}
 * @param serverName SNI and the host name the certificate must match, or {@code null} for the
 *     endpoint's host
 * @param insecureSkipVerify trust any certificate; default false, for tests only
 */
public record BackendTlsConfig(
    boolean enabled,
    Path caFile,
    Path certFile,
    Path keyFile,
    String serverName,
    boolean insecureSkipVerify) {}
