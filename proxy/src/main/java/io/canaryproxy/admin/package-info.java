/**
 * The admin HTTP server, a listener separate from the proxy's and bound to loopback by default:
 * {@link io.canaryproxy.admin.AdminServer} assembles its small pipeline and the built-in endpoints
 * (health, readiness, {@code /metrics}, {@code /admin/stats}, {@code /admin/histograms}, {@code
 * /admin/config}); other code adds endpoints as {@link io.canaryproxy.admin.AdminHandler}s, with
 * mutating ones restricted to POST and a bearer token. Start reading at {@code AdminServer}, then
 * {@code AdminRoutes}.
 */
package io.canaryproxy.admin;
