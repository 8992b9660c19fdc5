/**
 * The HTTP/2 adapter of the listener: cleartext with prior knowledge ({@code h2c}) and over TLS
 * (ALPN {@code h2}), chosen by the connection preface. Netty's frame codec and stream multiplexer
 * carry the frames; each stream is one exchange, served by an {@link
 * io.canaryproxy.server.http2.Http2StreamHandler} (start there) that turns the stream's HEADERS
 * into an {@link io.canaryproxy.server.http2.Http2Request} for its own forwarder and writes the
 * response back as frames. {@link io.canaryproxy.server.http2.Http2Limits} holds the settings and
 * protections. The backend side ({@code protocol: h2c | h2}): {@link
 * io.canaryproxy.server.http2.Http2Backends} makes a backend connection's parts, and per stream an
 * {@code Http2BackendAdapter} turns frames into the exchange model, and what the codec refused from
 * the backend into a bad response (tested against raw-frame backends in {@code
 * HostileH2BackendIT}).
 */
package io.canaryproxy.server.http2;
