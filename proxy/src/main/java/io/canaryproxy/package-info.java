/**
 * The command line ({@link io.canaryproxy.Main}: run, validate, demo) and the composition root
 * ({@link io.canaryproxy.CanaryProxy}), which builds every part from one config, starts them in
 * order, reloads, drains and stops them. Start reading at {@code CanaryProxy}'s constructor; each
 * stage of the request path lives in its own package below.
 */
package io.canaryproxy;
