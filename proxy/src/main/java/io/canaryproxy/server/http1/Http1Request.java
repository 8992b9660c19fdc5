package io.canaryproxy.server.http1;

import io.canaryproxy.http.Headers;
import io.canaryproxy.http.HttpVersion;
import io.canaryproxy.http.RequestHead;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;

/**
 * {@link RequestHead} over a decoded Netty request, without copying it. The server adapter keeps
 * one per connection and re-points it at each request as its exchange starts (exchanges on a
 * connection run one at a time); a copy ({@link #copy}) is a fresh one.
 */
public final class Http1Request implements RequestHead {
  private final NettyHeaders headers = new NettyHeaders(null);
  private HttpRequest request;
  private long bodyLength;

  /** A view of {@code request} (adapters and tests; the server handler reuses one instead). */
  public static Http1Request of(HttpRequest request) {
    return new Http1Request().reset(request);
  }

  /** Points this view at {@code request}; reads its body framing once, before anything changes. */
  Http1Request reset(HttpRequest request) {
    this.request = request;
    headers.reset(request.headers());
    this.bodyLength = bodyLengthOf(request);
    return this;
  }

  /** This view with {@code bodyLength} as the framing read from the original head. */
  Http1Request withBodyLength(long bodyLength) {
    this.bodyLength = bodyLength;
    return this;
  }

  private Http1Request with(HttpRequest request, long bodyLength) {
    this.request = request;
    headers.reset(request.headers());
    this.bodyLength = bodyLength;
    return this;
  }

  /**
   * The body length the decoder validated: -1 for a chunked body, the Content-Length, or 0. Most
   * requests carry no Transfer-Encoding, and the lookup then builds no value iterator.
   */
  static long bodyLengthOf(HttpRequest request) {
    if (request.headers().contains(HttpHeaderNames.TRANSFER_ENCODING)
        && HttpUtil.isTransferEncodingChunked(request)) {
      return -1;
    }
    return Math.max(0, HttpUtil.getContentLength(request, 0L));
  }

  HttpRequest unwrap() {
    return request;
  }

  @Override
  public String method() {
    return request.method().name();
  }

  @Override
  public String target() {
    return request.uri();
  }

  @Override
  public HttpVersion version() {
    return request.protocolVersion().minorVersion() == 0
        ? HttpVersion.HTTP_1_0
        : HttpVersion.HTTP_1_1;
  }

  @Override
  public Headers headers() {
    return headers;
  }

  @Override
  public long bodyLength() {
    return bodyLength;
  }

  @Override
  public RequestHead copy() {
    return new Http1Request()
        .with(
            new DefaultHttpRequest(
                request.protocolVersion(),
                request.method(),
                request.uri(),
                request.headers().copy()),
            bodyLength);
  }
}
