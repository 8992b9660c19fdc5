package io.canaryproxy.forwarding;

import io.canaryproxy.pool.Multiplexing;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;

/**
 * Assembles a backend connection's pipeline, ending with {@code last}. Implemented by the server's
 * initializer.
 */
public interface BackendPipelineFactory {
  void assemble(ChannelPipeline pipeline, ChannelHandler last);

  /**
   * How HTTP/2 backend connections ({@code protocol: h2c | h2}) are assembled and open streams, or
   * {@code null} when this factory cannot make them.
   */
  default Multiplexing multiplexing() {
    return null;
  }
}
