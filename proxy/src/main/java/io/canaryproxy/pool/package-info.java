/**
 * Keep-alive connections from one event loop to backend endpoints, shared by the forwarder and by
 * mirroring, which each make pools of their own (so a slow shadow never takes a primary
 * connection). Start at {@link io.canaryproxy.pool.Connector}, one per event loop and user, which
 * makes an {@link io.canaryproxy.pool.EndpointPool} per endpoint address; a pool lends {@link
 * io.canaryproxy.pool.PooledConnection}s, each reporting to the {@link
 * io.canaryproxy.pool.ConnectionListener} that holds its lease. How requests are spread over
 * endpoints is the users' choice: power of two choices in {@code forwarding}, round-robin in {@code
 * mirroring}.
 */
package io.canaryproxy.pool;
