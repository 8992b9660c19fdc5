/**
 * The HTTP/2 adapter of the listener: cleartext with prior knowledge ({@code h2c}) and over TLS
 * (ALPN {@code h2}), chosen by the connection preface. Netty's frame codec and stream multiplexer
 * carry the frames; each stream is one exchange, served by an {@link
 * io.canaryproxy.server.http2.Http2StreamHandler} (start there) that turns the stream's HEADERS
 * into an {@link io.canaryproxy.server.http2.Http2Request} for its own forwarder and writes the
 * response back as frames. {@link io.canaryproxy.server.http2.Http2Limits} holds the settings and
 * protections.
 */
package io.canaryproxy.server.http2;
