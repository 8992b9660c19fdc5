package io.canaryproxy;

import io.canaryproxy.config.ProxyConfig;
import io.canaryproxy.discovery.EndpointDirectory;
import io.canaryproxy.forwarding.ForwardingContext;
import io.canaryproxy.forwarding.MirrorTap;
import io.canaryproxy.forwarding.ProxyListener;
import io.canaryproxy.routing.Router;
import io.canaryproxy.server.ProxyChannelInitializer;
import io.canaryproxy.server.ProxyServer;

/**
 * The one place that builds the proxy listener's collaborators: the pipeline initializer and the
 * forwarder (each needs the other: the initializer hands client connections to the forwarder, the
 * forwarder assembles backend pipelines with the initializer). Used by {@link CanaryProxy} and by
 * tests that want a listener without the rest.
 */
public final class ServerWiring {
  private ServerWiring() {}

  /**
   * A proxy server for {@code config}, not yet started.
   *
   * @param router the live routing
   * @param events hears every exchange and connection
   * @param tapFactory decides which requests are mirrored, or {@code null} when mirroring is off
   * @param directory the endpoint addresses; the server closes it when it closes
   */
  public static ProxyServer proxyServer(
      ProxyConfig config,
      Router router,
      ProxyListener events,
      MirrorTap.Factory tapFactory,
      EndpointDirectory directory) {
    ProxyChannelInitializer initializer =
        new ProxyChannelInitializer(config.limits(), config.timeouts());
    ForwardingContext forwarding =
        new ForwardingContext(
            router,
            config.backends(),
            directory,
            config.timeouts(),
            events,
            tapFactory,
            initializer);
    forwarding.setGrpcErrorCodes(config.metrics().grpcErrorCodes());
    initializer.setForwarding(forwarding);
    return new ProxyServer(config, initializer, forwarding, tapFactory, directory);
  }
}
