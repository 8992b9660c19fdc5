package io.canaryproxy.server.http2;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Stream;

/**
 * What Netty's decoder reads from an HTTP/2 client, handed to the stream it belongs to: the first
 * HEADERS of a stream opens its {@link Http2ClientStream}, later ones are its trailers, and DATA is
 * its request body. The other frames (SETTINGS, PING, WINDOW_UPDATE, RST_STREAM, GOAWAY) are
 * Netty's to answer; a stream's end reaches its state through the connection's stream events.
 */
final class Http2ClientFrameListener extends Http2FrameAdapter {
  private final Http2ClientConnectionHandler connection;

  Http2ClientFrameListener(Http2ClientConnectionHandler connection) {
    this.connection = connection;
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
    Http2Stream stream = connection.connection().stream(streamId);
    if (stream == null) {
      return; // already gone: nothing to serve
    }
    Http2ClientStream s = connection.state(stream);
    if (s == null) {
      s = connection.open(stream);
      connection.readIn(s);
      s.onHead(headers, endStream);
    } else {
      connection.readIn(s);
      s.onTrailers();
    }
  }

  /**
   * Returns the bytes taken at once (padding, and the data when its stream took it or drops it);
   * the others are returned to the client's window later, as the stream's backend takes them.
   */
  @Override
  public int onDataRead(
      ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding, boolean endOfStream) {
    Http2ClientStream s = connection.state(connection.connection().stream(streamId));
    if (s == null) {
      return data.readableBytes() + padding;
    }
    connection.readIn(s);
    return padding + s.onData(data, endOfStream);
  }
}
