package io.canaryproxy.server.http1;

import io.canaryproxy.http.BodyEnd;
import io.canaryproxy.http.RequestHead;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * The HTTP/1.1 adapter of a backend connection, applied by its codec to each message it is asked to
 * write (not a pipeline step of its own: a hop per message fewer): what the exchange writes ({@link
 * RequestHead}, body {@code ByteBuf}s, {@link BodyEnd}) becomes HTTP/1.1 framed by the proxy
 * itself. What the codec reads already is the exchange model ({@code ResponseHead}, body pieces,
 * one {@code BodyEnd} per message, or a {@code MalformedMessage}: see {@link Http1ResponseDecoder})
 * and goes to the pool as it is. A second upstream protocol is a second adapter that speaks the
 * same messages.
 */
public final class Http1BackendAdapter {
  private Http1BackendAdapter() {}

  /**
   * What the codec encodes for {@code msg}: a client's HTTP/1.1 head framed in place (the codec
   * writes it from the client's bytes), another head as a Netty request, an end as Netty's last
   * content; anything else (a body piece) as it is.
   */
  public static Object toCodec(Object msg) {
    if (msg instanceof Http1Head head) {
      frame(head);
      return head;
    } else if (msg instanceof RequestHead head) {
      return toNetty(head);
    } else if (msg instanceof BodyEnd end) {
      return end.trailers() == null
          ? LastHttpContent.EMPTY_LAST_CONTENT
          : new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER, NettyHeaders.toNetty(end.trailers()));
    }
    return msg;
  }

  /** As {@link #toNetty} frames a head, on a client's HTTP/1.1 head kept as its bytes. */
  static void frame(Http1Head head) {
    long length = head.bodyLength();
    if (length < 0) {
      head.remove(HttpHeaderNames.CONTENT_LENGTH);
      head.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
    } else {
      head.remove(HttpHeaderNames.TRANSFER_ENCODING);
      if (length > 0 && !head.contains(HttpHeaderNames.CONTENT_LENGTH)) {
        // Present, it is the one value the parser validated: kept as it was sent.
        head.set(HttpHeaderNames.CONTENT_LENGTH, Long.toString(length));
      }
    }
  }

  /**
   * The Netty request for {@code head}, speaking HTTP/1.1, with its body framed from what the
   * client side validated ({@link RequestHead#bodyLength}), whatever else the head says: {@code
   * Transfer-Encoding: chunked} for a body of unknown length (the encoder chunks it), else the
   * {@code Content-Length} the client sent, else nothing (no body, RFC 9112 §6.3).
   */
  private static HttpRequest toNetty(RequestHead head) {
    HttpRequest request =
        head instanceof Http1Request h
            ? h.unwrap()
            : new DefaultHttpRequest(
                HttpVersion.HTTP_1_1,
                HttpMethod.valueOf(head.method()),
                head.target(),
                NettyHeaders.toNetty(head.headers()));
    HttpHeaders headers = request.headers();
    long length = head.bodyLength();
    if (length < 0) {
      headers.remove(HttpHeaderNames.CONTENT_LENGTH);
      headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
    } else {
      headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
      if (length > 0 && !headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
        // Present, it is the one value the decoder validated (and normalised): kept as it is.
        headers.set(HttpHeaderNames.CONTENT_LENGTH, length);
      }
    }
    request.setProtocolVersion(HttpVersion.HTTP_1_1);
    return request;
  }
}
