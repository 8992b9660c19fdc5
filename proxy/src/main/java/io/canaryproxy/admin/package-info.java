/**
 * The admin HTTP server, a listener separate from the proxy's and bound to loopback by default:
 * {@link io.canaryproxy.admin.AdminServer} assembles its small pipeline and the built-in endpoints
 * (health, readiness, {@code /metrics}, {@code /admin/stats}, {@code /admin/histograms}, {@code
 * /admin/config}, and the live dashboard page {@code DashboardPage} at {@code /} and {@code
 * /dashboard}); other code adds endpoints as {@link io.canaryproxy.admin.AdminHandler}s, with
 * mutating ones restricted to POST and the control token. {@code AdminAccess} decides who may call
 * what: off loopback everything but health and readiness needs a token. Start reading at {@code
 * AdminServer}, then {@code AdminRoutes}.
 */
package io.canaryproxy.admin;
