/**
 * What the {@code demo} command starts besides the proxy: JSON backends for each variant
 * ({@link io.canaryproxy.demo.DemoBackend}), in the same process.
 */
package io.canaryproxy.demo;
