package io.canaryproxy.bench.load;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Builds the request each connection sends: method, path, fixed headers, optional body and user
 * header.
 */
final class RequestFactory {
  private final HttpMethod method;
  private final String target;
  private final HttpHeaders template = new DefaultHttpHeaders();
  private final byte[] body;
  private final UserPicker users;
  private final String userHeader;

  RequestFactory(LoadSpec spec) {
    this.method = HttpMethod.valueOf(spec.method());
    String path = spec.uri().getRawPath();
    String query = spec.uri().getRawQuery();
    this.target =
        (path == null || path.isEmpty() ? "/" : path) + (query == null ? "" : "?" + query);
    String host =
        spec.uri().getHost() + (spec.uri().getPort() < 0 ? "" : ":" + spec.uri().getPort());
    template.set(HttpHeaderNames.HOST, host);
    template.set(HttpHeaderNames.USER_AGENT, "canary-bench");
    for (Map.Entry<String, String> h : spec.headers()) {
      template.add(h.getKey(), h.getValue());
    }
    this.body = spec.body();
    if (body != null) {
      template.setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    }
    this.users = spec.users();
    this.userHeader = spec.userHeader();
  }

  /** A new request; the caller passes it to a write, which releases it. */
  FullHttpRequest next() {
    FullHttpRequest request =
        new DefaultFullHttpRequest(
            HttpVersion.HTTP_1_1,
            method,
            target,
            body == null ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
    request.headers().set(template);
    if (users != null) {
      request.headers().set(userHeader, users.next(ThreadLocalRandom.current()));
    }
    return request;
  }
}
