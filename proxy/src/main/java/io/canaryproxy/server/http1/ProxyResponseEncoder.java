package io.canaryproxy.server.http1;

import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;

/**
 * Netty's response encoder, told by the forwarder when the response it is about to write answers a
 * HEAD request: such a response keeps its framing headers but carries no body (RFC 9110 §9.3.2), so
 * no chunk terminator may be written for it. Responses on a connection are written in request
 * order, one at a time, so one flag suffices. Once the connection switched protocols (a {@code 101}
 * was written) it passes every byte on as it is.
 */
public final class ProxyResponseEncoder extends HttpResponseEncoder {
  private boolean headResponse;
  private boolean passThrough;

  /** Marks whether the next response head written answers a HEAD request. */
  public void nextResponseAnswersHead(boolean head) {
    this.headResponse = head;
  }

  /** The connection became a tunnel: from now on, writes are bytes that need no encoding. */
  public void passThrough() {
    this.passThrough = true;
  }

  @Override
  public boolean acceptOutboundMessage(Object msg) throws Exception {
    return !passThrough && super.acceptOutboundMessage(msg);
  }

  @Override
  protected boolean isContentAlwaysEmpty(HttpResponse msg) {
    return headResponse || super.isContentAlwaysEmpty(msg);
  }
}
