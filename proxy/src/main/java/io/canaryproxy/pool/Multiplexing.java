package io.canaryproxy.pool;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;

/**
 * How an HTTP/2 endpoint's connections carry many exchanges at once, supplied by the protocol
 * adapter so that this package stays free of codec types: it assembles a connection's pipeline
 * (after TLS) and opens one stream on a connection for each exchange, a {@link PooledConnection}
 * without a channel of its own.
 */
public interface Multiplexing {
  /**
   * Assembles a multiplexed connection's pipeline, ending with {@code last}; the handlers before it
   * tell {@code last} each SETTINGS of the peer (the first makes the connection ready for streams)
   * and a GOAWAY as {@link MultiplexedConnection} events. Over TLS it is called once the handshake
   * selected {@code h2}, on an active channel whose pipeline already ends with {@code last}: the
   * handlers go before it.
   */
  void assembleConnection(ChannelPipeline pipeline, ChannelHandler last);

  /**
   * Opens a new stream on {@code parent} for {@code stream}: returns the carrier that frames the
   * stream's messages on the connection and reports its response and end to {@code stream}, or
   * {@code null} when the connection can carry no new stream (it closed).
   */
  PooledConnection.Stream openStream(Channel parent, PooledConnection stream);
}
