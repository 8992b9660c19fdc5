/**
 * What the {@code demo} command runs besides the proxy: {@link io.canaryproxy.demo.DemoBackend}
 * (the in-process stable, canary and shadow backends), {@link io.canaryproxy.demo.DemoLoad} (the
 * demo's own light traffic) and {@link io.canaryproxy.demo.VerdictTrail} (the verdict and rollout
 * event lines printed as they happen). Start reading at {@code Main.Demo}, which wires them to a
 * {@code CanaryProxy}.
 */
package io.canaryproxy.demo;
