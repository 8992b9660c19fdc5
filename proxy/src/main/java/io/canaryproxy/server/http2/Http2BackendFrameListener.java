package io.canaryproxy.server.http2;

import io.canaryproxy.pool.MultiplexedConnection;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;

/**
 * What Netty's decoder reads from the backend: a stream's HEADERS (its response head, or its
 * trailers) and DATA go to the stream; REFUSED_STREAM marks it unprocessed; SETTINGS and GOAWAY go
 * to the pool; a PING answer ends the liveness check. Netty answers the rest itself.
 */
final class Http2BackendFrameListener extends Http2FrameAdapter {
  private final Http2BackendConnectionHandler conn;

  Http2BackendFrameListener(Http2BackendConnectionHandler conn) {
    this.conn = conn;
  }

  @Override
  public void onHeadersRead(
      ChannelHandlerContext ctx,
      int streamId,
      Http2Headers headers,
      int streamDependency,
      short weight,
      boolean exclusive,
      int padding,
      boolean endStream) {
    onHeadersRead(ctx, streamId, headers, padding, endStream);
  }

  @Override
  public void onHeadersRead(
      ChannelHandlerContext ctx,
      int streamId,
      Http2Headers headers,
      int padding,
      boolean endStream) {
    Http2BackendStream s = conn.state(conn.connection().stream(streamId));
    if (s != null) {
      s.onHeaders(headers, endStream);
    }
  }

  @Override
  public int onDataRead(
      ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding, boolean endOfStream) {
    Http2BackendStream s = conn.state(conn.connection().stream(streamId));
    if (s == null) {
      return data.readableBytes() + padding;
    }
    return padding + s.onData(data, endOfStream);
  }

  @Override
  public void onRstStreamRead(ChannelHandlerContext ctx, int streamId, long errorCode) {
    Http2BackendStream s = conn.state(conn.connection().stream(streamId));
    if (s != null && errorCode == Http2Error.REFUSED_STREAM.code()) {
      s.refusedByReset();
    }
  }

  @Override
  public void onSettingsRead(ChannelHandlerContext ctx, Http2Settings settings) {
    Long max = settings.maxConcurrentStreams();
    ctx.fireUserEventTriggered(new MultiplexedConnection.PeerSettings(max == null ? -1 : max));
  }

  @Override
  public void onGoAwayRead(
      ChannelHandlerContext ctx, int lastStreamId, long errorCode, ByteBuf debugData) {
    // Told before Netty closes the streams the GOAWAY leaves out: their requests go elsewhere.
    ctx.fireUserEventTriggered(MultiplexedConnection.GoAway.RECEIVED);
  }

  @Override
  public void onPingAckRead(ChannelHandlerContext ctx, long data) {
    conn.pingAnswered(data);
  }
}
