package io.canaryproxy.forwarding;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;

/**
 * Assembles a backend connection's pipeline, ending with {@code last}. Implemented by the server's
 * initializer.
 */
public interface BackendPipelineFactory {
  void assemble(ChannelPipeline pipeline, ChannelHandler last);
}
