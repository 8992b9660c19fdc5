package io.canaryproxy.forwarding;

import java.util.List;

/** Hands every event to each of several listeners, in order. */
public final class CompositeListener implements ProxyListener {
  private final ProxyListener[] listeners;

  public CompositeListener(List<? extends ProxyListener> listeners) {
    this.listeners = listeners.toArray(new ProxyListener[0]);
  }

  @Override
  public void onExchangeComplete(Exchange exchange) {
    for (ProxyListener l : listeners) {
      l.onExchangeComplete(exchange);
    }
  }

  @Override
  public void onUpstreamFailure(String backend, Exchange exchange, UpstreamFailure failure) {
    for (ProxyListener l : listeners) {
      l.onUpstreamFailure(backend, exchange, failure);
    }
  }

  @Override
  public void onClientConnection(int delta) {
    for (ProxyListener l : listeners) {
      l.onClientConnection(delta);
    }
  }

  @Override
  public void onBackendConnection(int delta) {
    for (ProxyListener l : listeners) {
      l.onBackendConnection(delta);
    }
  }

  @Override
  public void onTunnelOpened(io.canaryproxy.routing.Variant variant) {
    for (ProxyListener l : listeners) {
      l.onTunnelOpened(variant);
    }
  }

  @Override
  public void onTunnelClosed(io.canaryproxy.routing.Variant variant, long durationNanos) {
    for (ProxyListener l : listeners) {
      l.onTunnelClosed(variant, durationNanos);
    }
  }

  @Override
  public void onHttp2GoAway(String type) {
    for (ProxyListener l : listeners) {
      l.onHttp2GoAway(type);
    }
  }
}
