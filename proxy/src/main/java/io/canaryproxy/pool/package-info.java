/**
 * Keep-alive connections from one event loop to backend endpoints, shared by the forwarder and by
 * mirroring, which each make pools of their own (so a slow shadow never takes a primary
 * connection). Start at {@link io.canaryproxy.pool.PoolSet}, one per user: it follows the {@code
 * EndpointDirectory} by listening and keeps, per event loop, a {@link
 * io.canaryproxy.pool.LoopPools} of {@link io.canaryproxy.pool.BackendPool}s by backend name. A
 * {@link io.canaryproxy.pool.Connector} (one per event loop and user) makes an {@link
 * io.canaryproxy.pool.EndpointPool} per endpoint address; a pool lends {@link
 * io.canaryproxy.pool.PooledConnection}s, each reporting to the {@link
 * io.canaryproxy.pool.ConnectionListener} that holds its lease. How requests are spread over
 * endpoints is the user's choice ({@link io.canaryproxy.pool.BackendPool.Spread}): power of two
 * choices for the forwarder, in turn for mirroring. So is how an endpoint speaks TLS: the user
 * gives its {@code PoolSet} a function to a {@link io.canaryproxy.pool.ConnectionTls} (this package
 * knows no TLS implementation, so that {@code tls} may depend on it).
 */
package io.canaryproxy.pool;
