package io.canaryproxy.testing;

import io.canaryproxy.ServerWiring;
import io.canaryproxy.config.ProxyConfig;
import io.canaryproxy.discovery.EndpointDirectory;
import io.canaryproxy.forwarding.Exchange;
import io.canaryproxy.forwarding.MirrorTap;
import io.canaryproxy.forwarding.ProxyListener;
import io.canaryproxy.forwarding.UpstreamFailure;
import io.canaryproxy.routing.Router;
import io.canaryproxy.routing.RoutingTable;
import io.canaryproxy.server.ProxyServer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A started proxy for integration tests, with a listener that records completed exchanges and
 * failures.
 */
public final class RunningProxy implements AutoCloseable {
  /** A completed exchange, copied out of the (reused) event. */
  public record Done(
      String variant,
      int status,
      String failure,
      long bytesIn,
      long bytesOut,
      boolean mirrored,
      String grpcStatus,
      boolean error) {}

  private final ProxyServer server;
  private final Router router;
  private final List<Done> done = new CopyOnWriteArrayList<>();
  private final AtomicInteger clientConnections = new AtomicInteger();
  private final AtomicInteger backendConnections = new AtomicInteger();
  private final List<String> http2GoAways = new CopyOnWriteArrayList<>();
  private final List<String> upstreamFailures = new CopyOnWriteArrayList<>();

  public RunningProxy(ProxyConfig config) throws InterruptedException {
    this(config, null);
  }

  /**
   * A proxy whose forwarder asks {@code tapFactory} about every request ({@code null}: no
   * mirroring).
   */
  public RunningProxy(ProxyConfig config, MirrorTap.Factory tapFactory)
      throws InterruptedException {
    router = new Router(RoutingTable.compile(config.routing()));
    server =
        ServerWiring.proxyServer(
                config,
                router,
                new ProxyListener() {
                  @Override
                  public void onExchangeComplete(Exchange e) {
                    done.add(
                        new Done(
                            e.variant() == null ? null : e.variant().label(),
                            e.status,
                            e.failure == null ? null : e.failure.tag(),
                            e.bytesIn,
                            e.bytesOut,
                            e.mirrored,
                            e.grpcStatus == null ? null : e.grpcStatus.name(),
                            e.isError()));
                  }

                  @Override
                  public void onUpstreamFailure(
                      String backend, Exchange exchange, UpstreamFailure failure) {
                    upstreamFailures.add(failure.tag());
                  }

                  @Override
                  public void onClientConnection(int delta) {
                    clientConnections.addAndGet(delta);
                  }

                  @Override
                  public void onBackendConnection(int delta) {
                    backendConnections.addAndGet(delta);
                  }

                  @Override
                  public void onHttp2GoAway(String type) {
                    http2GoAways.add(type);
                  }
                },
                tapFactory,
                new EndpointDirectory(config.dns()))
            .start();
  }

  public int port() {
    return server.port();
  }

  public String url(String path) {
    return "http://127.0.0.1:" + port() + path;
  }

  /** The forwarder's shared state (open tunnels, draining). */
  public io.canaryproxy.forwarding.ForwardingContext forwarding() {
    return server.forwarding();
  }

  public Router router() {
    return router;
  }

  public List<Done> done() {
    return done;
  }

  /**
   * The type of every upstream failure reported to the listener (what feeds {@code
   * canary_proxy_upstream_failures_total{type}}), in order.
   */
  public List<String> upstreamFailures() {
    return upstreamFailures;
  }

  /** The type of every GOAWAY the proxy sent an HTTP/2 client for an abuse, in order. */
  public List<String> http2GoAways() {
    return http2GoAways;
  }

  public int openClientConnections() {
    return clientConnections.get();
  }

  public int openBackendConnections() {
    return backendConnections.get();
  }

  @Override
  public void close() {
    server.close();
  }
}
