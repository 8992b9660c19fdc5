package io.canaryproxy.server.http1;

import io.canaryproxy.http.Headers;
import io.canaryproxy.http.HttpVersion;
import io.canaryproxy.http.ResponseHead;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;

/**
 * {@link ResponseHead} over a decoded Netty response, without copying it. The upstream adapter
 * keeps one per backend connection and re-points it at each response (responses on a connection
 * arrive one at a time, and the exchange is done with a head before the next one arrives).
 */
public final class Http1Response implements ResponseHead {
  private final NettyHeaders headers = new NettyHeaders(null);
  private HttpResponse response;
  private boolean closes;

  /** A view of {@code response} (adapters and tests; the backend adapter reuses one instead). */
  public static Http1Response of(HttpResponse response) {
    return new Http1Response().reset(response);
  }

  Http1Response reset(HttpResponse response) {
    this.response = response;
    headers.reset(response.headers());
    this.closes = !HttpUtil.isKeepAlive(response);
    return this;
  }

  HttpResponse unwrap() {
    return response;
  }

  @Override
  public int status() {
    return response.status().code();
  }

  @Override
  public String reason() {
    return response.status().reasonPhrase();
  }

  @Override
  public HttpVersion version() {
    return response.protocolVersion().minorVersion() == 0
        ? HttpVersion.HTTP_1_0
        : HttpVersion.HTTP_1_1;
  }

  @Override
  public Headers headers() {
    return headers;
  }

  @Override
  public boolean closesConnection() {
    return closes;
  }
}
