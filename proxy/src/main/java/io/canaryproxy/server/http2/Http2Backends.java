package io.canaryproxy.server.http2;

import io.canaryproxy.config.Http2LimitsConfig;
import io.canaryproxy.pool.PooledConnection;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.handler.codec.http2.AbstractHttp2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2Settings;

/**
 * The parts of an HTTP/2 backend connection ({@code backends.NAME.protocol: h2c | h2}): its
 * connection handler ({@link Http2BackendConnectionHandler}: no server push, bounded windows and
 * header lists, streams past the peer's limit held back rather than failed), and per exchange a
 * stream on it. The pipeline builder puts the handler in place; this class only makes it.
 *
 * @param limits the stream and connection windows (as on the listener), in bytes
 * @param maxHeaderListBytes the largest response header list a backend may send
 * @param pingTimeoutMillis how long a backend may take to answer the PING sent when a stream was
 *     given up before its end (the connect timeout), in ms; then its connection is closed
 */
public record Http2Backends(
    Http2LimitsConfig limits, int maxHeaderListBytes, long pingTimeoutMillis) {

  /** The handler of one backend connection. */
  public ChannelHandler connectionHandler() {
    return new ClientBuilder(this).build();
  }

  /**
   * A new stream on {@code parent} (whose pipeline has a {@link #connectionHandler}) for {@code
   * pooled}, or {@code null} when the connection takes no new stream (it closed, or got a GOAWAY).
   */
  public PooledConnection.Stream openStream(Channel parent, PooledConnection pooled) {
    Http2BackendConnectionHandler handler =
        parent.pipeline().get(Http2BackendConnectionHandler.class);
    return handler == null ? null : handler.newStream(pooled);
  }

  /**
   * Netty's builder, for the proxy's side of a backend connection and this project's handler, with
   * the project's codec ({@link Http2Codec}).
   */
  private static final class ClientBuilder
      extends AbstractHttp2ConnectionHandlerBuilder<Http2BackendConnectionHandler, ClientBuilder> {
    private final Http2Backends backends;

    ClientBuilder(Http2Backends backends) {
      this.backends = backends;
      initialSettings(
          Http2Settings.defaultSettings()
              .pushEnabled(false)
              .maxHeaderListSize(backends.maxHeaderListBytes())
              .initialWindowSize(backends.limits().streamWindowBytes()));
      // A stream over SETTINGS_MAX_CONCURRENT_STREAMS waits for a slot instead of failing (held
      // by the codec): the pool opens streams before the peer's first SETTINGS says how many it
      // takes. The builder's defaults apply to the decoder, as before the codec was the project's.
      Http2Codec codec =
          Http2Codec.of(
              Http2Limits.newConnection(false),
              backends.maxHeaderListBytes(),
              Http2Codec.BACKEND_SMALL_CONTINUATION_FRAMES,
              Http2CodecUtil.DEFAULT_MAX_QUEUED_CONTROL_FRAMES,
              true);
      codec(codec.decoder(), codec.encoder());
    }

    @Override
    protected Http2BackendConnectionHandler build() {
      return super.build();
    }

    @Override
    protected Http2BackendConnectionHandler build(
        Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder, Http2Settings settings) {
      return new Http2BackendConnectionHandler(
          decoder,
          encoder,
          settings,
          backends.limits().connectionWindowBytes(),
          backends.pingTimeoutMillis());
    }
  }
}
