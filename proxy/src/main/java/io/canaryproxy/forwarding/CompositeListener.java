package io.canaryproxy.forwarding;

import java.util.ArrayList;
import java.util.List;

/**
 * Hands every event to each of several listeners, in order. The per-request event skips the
 * listeners that do not override it (the interface's empty default), so a request pays only for the
 * listeners that do something with it.
 */
public final class CompositeListener implements ProxyListener {
  private final ProxyListener[] listeners;
  private final ProxyListener[] exchangeListeners;

  public CompositeListener(List<? extends ProxyListener> listeners) {
    this.listeners = listeners.toArray(new ProxyListener[0]);
    List<ProxyListener> some = new ArrayList<>();
    for (ProxyListener l : this.listeners) {
      if (overrides(l, "onExchangeComplete", Exchange.class)) {
        some.add(l);
      }
    }
    this.exchangeListeners = some.toArray(new ProxyListener[0]);
  }

  /** False when {@code l}'s {@code method} is the interface's empty default. */
  private static boolean overrides(ProxyListener l, String method, Class<?>... parameters) {
    try {
      return l.getClass().getMethod(method, parameters).getDeclaringClass() != ProxyListener.class;
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException(e); // a method of the interface
    }
  }

  @Override
  public void onExchangeComplete(Exchange exchange) {
    for (ProxyListener l : exchangeListeners) {
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
