/**
 * gRPC as the proxy sees it on the wire, in plain Java: the status codes ({@link
 * io.canaryproxy.grpc.GrpcStatus}), which codes count as errors ({@link
 * io.canaryproxy.grpc.GrpcErrorCodes}), the {@code grpc-timeout} header ({@link
 * io.canaryproxy.grpc.GrpcTimeout}), the percent-encoded {@code grpc-message} ({@link
 * io.canaryproxy.grpc.GrpcMessage}) and which requests are gRPC calls ({@link
 * io.canaryproxy.grpc.GrpcCalls}). The exchange logic that uses them lives in {@code forwarding}
 * ({@code GrpcCall}); nothing here imports Netty.
 */
package io.canaryproxy.grpc;
