/**
 * A lean HTTP/1.1 codec that works on the received bytes in place: {@link
 * io.canaryproxy.http1.RequestHeadParser} reads a request head as offsets into the receive buffer
 * and decides its framing, {@link io.canaryproxy.http1.ChunkedBodyValidator} checks a chunked body
 * while it streams past, {@link io.canaryproxy.http1.ResponseHeadParser} does the same for a
 * backend's response head ({@link io.canaryproxy.http1.ChunkedResponseReader} its chunked body),
 * and {@link io.canaryproxy.http1.UpstreamHeadWriter} (off the live path, which writes heads with
 * {@code server.http1.Http1Head}; kept for the request differential test's lean path) writes the
 * head a backend receives from the original bytes with only the proxy's edits. Start with {@code
 * RequestHeadParser}: its rejections are, status for status, those of Netty's decoder plus the
 * request guard in {@code server} (the differential fuzz test {@code
 * server.Http1ParserDifferentialTest} keeps the two in step). The live paths are {@code
 * server.http1.Http1RequestDecoder} (clients) and {@code server.http1.Http1ResponseDecoder}
 * (backends); both hand the parsers a {@link io.canaryproxy.http1.HeadCopy} of the received bytes
 * (read byte by byte for less than the pooled buffer costs).
 */
package io.canaryproxy.http1;
