package io.canaryproxy.server.http2;

import io.netty.channel.Channel;

/**
 * Names a client stream in logs as {@code connection/stream}; the text is made only when logged.
 * The stream changes when its state serves the connection's next stream.
 */
final class Http2StreamLogId {
  private final Channel connection;
  private int stream;

  Http2StreamLogId(Channel connection) {
    this.connection = connection;
  }

  void stream(int id) {
    stream = id;
  }

  @Override
  public String toString() {
    return connection.id().asShortText() + "/" + stream;
  }
}
