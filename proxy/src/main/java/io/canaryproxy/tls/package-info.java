/**
 * TLS on both sides of the proxy. {@link io.canaryproxy.tls.ServerTls} builds the listener's {@code
 * SslContext} from the {@code tls} section's PEM files and swaps in a new one when {@link
 * io.canaryproxy.tls.CertificateWatcher} sees the files change; {@link
 * io.canaryproxy.tls.BackendTls} builds the client contexts of backends with {@code tls}. {@link
 * io.canaryproxy.tls.TlsProvider} picks OpenSSL (BoringSSL through netty-tcnative) when it loads,
 * the JDK otherwise. The pipeline handlers that use these live in {@code server}.
 */
package io.canaryproxy.tls;
