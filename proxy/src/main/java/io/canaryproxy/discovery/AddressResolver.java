package io.canaryproxy.discovery;

import java.util.concurrent.CompletableFuture;

/** Asks for the current addresses of a host name. Implementations never block the caller. */
public interface AddressResolver extends AutoCloseable {
  /**
   * Resolves {@code host}, which is a name and never an address literal. The future fails,
   * typically with an {@link java.net.UnknownHostException}, when the name has no usable address.
   */
  CompletableFuture<Resolution> resolve(String host);

  @Override
  void close();
}
