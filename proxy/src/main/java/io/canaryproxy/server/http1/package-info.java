/**
 * The HTTP/1.1 adapters: everything HTTP/1-specific, on both sides of the proxy. On the client
 * side, {@link io.canaryproxy.server.http1.Http1RequestDecoder} parses request heads in place
 * ({@link io.canaryproxy.http1.RequestHeadParser}) into {@link
 * io.canaryproxy.server.http1.Http1Head}s, the client's bytes with the proxy's edits beside them,
 * and {@link io.canaryproxy.server.http1.Http1ServerHandler} turns them into the exchange model for
 * its {@link io.canaryproxy.forwarding.Forwarder} and owns pipelining order ({@code
 * PipelineQueue}), reading, keep-alive and {@code Connection}, {@code 100-continue} and the answers
 * to a {@link io.canaryproxy.server.http1.RejectedRequest}; {@code Http1ResponseWriter} frames
 * responses (chunking a body the backend delimits by closing) and {@link
 * io.canaryproxy.server.http1.ProxyResponseEncoder} writes them. On the backend side, {@link
 * io.canaryproxy.server.http1.Http1BackendAdapter} frames requests from the model for the backend
 * codec, which writes an {@code Http1Head} from its bytes and reads responses in place ({@link
 * io.canaryproxy.server.http1.Http1ResponseDecoder}, on {@link
 * io.canaryproxy.http1.ResponseHeadParser}) into {@link
 * io.canaryproxy.server.http1.Http1BackendResponse}s, which the client side writes from their bytes
 * ({@code ProxyResponseEncoder}). Both heads are one model, {@code HeadFields}: the head's bytes,
 * the offsets of its fields and the proxy's edits beside them, written back by one method. {@link
 * io.canaryproxy.server.http1.Http1Request}, {@link io.canaryproxy.server.http1.Http1Response} and
 * {@link io.canaryproxy.server.http1.NettyHeaders} are the model over Netty's messages, without
 * copying them (heads from HTTP/2 and the proxy's own). The differential tests: {@code
 * server.Http1ParserDifferentialTest} (requests) and {@code Http1ResponseDifferentialTest} (backend
 * responses); the byte-for-byte ones: {@code Http1HeadTest} and {@code Http1BackendHeadTest}.
 */
package io.canaryproxy.server.http1;
