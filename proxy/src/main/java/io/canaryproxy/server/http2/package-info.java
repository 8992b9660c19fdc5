/**
 * The HTTP/2 adapter of the listener: cleartext with prior knowledge ({@code h2c}) and over TLS
 * (ALPN {@code h2}), chosen by the connection preface. One {@link
 * io.canaryproxy.server.http2.Http2ClientConnectionHandler} per connection (start there) is Netty's
 * connection handler without child channels: its frame listener hands each stream's HEADERS and
 * DATA to an {@code Http2ClientStream}, one exchange per stream (a closed stream's state, its
 * forwarder among it, serves the connection's next stream), which turns the HEADERS into an {@link
 * io.canaryproxy.server.http2.Http2Request} (a view of the decoded block, {@code Http2Fields}) for
 * its forwarder and writes the response back through the connection's encoder. {@link
 * io.canaryproxy.server.http2.Http2Limits} holds the settings and protections. Both sides' handlers
 * take their decoder and encoder from {@code Http2Codec}, whose frame writer ({@code
 * Http2FrameWriterLean}) writes a HEADERS or small DATA frame as one buffer. The backend side
 * ({@code protocol: h2c | h2}) has the same shape: {@link
 * io.canaryproxy.server.http2.Http2Backends} makes a backend connection's handler, {@code
 * Http2BackendConnectionHandler}, whose frame listener hands each stream's response to an {@code
 * Http2BackendStream} (one exchange's leased stream, no channel), which turns frames into the
 * exchange model (a response head is a view of the decoded block, sent on to an HTTP/2 client as it
 * is), and what the codec refused from the backend into a bad response (tested against raw-frame
 * backends in {@code HostileH2BackendIT}).
 */
package io.canaryproxy.server.http2;
