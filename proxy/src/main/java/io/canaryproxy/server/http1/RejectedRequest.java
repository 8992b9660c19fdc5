package io.canaryproxy.server.http1;

import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * Passed down the client pipeline in place of a request (or in the middle of its body) that must
 * not be forwarded. {@link Http1ServerHandler} answers it in order, after any earlier pipelined
 * responses, and then closes the connection.
 *
 * @param status the error status to answer
 * @param reason a short explanation, sent as the response body and logged
 */
public record RejectedRequest(HttpResponseStatus status, String reason) {}
