/**
 * The rollout's outgoing lifecycle calls, each on the lifecycle thread and never on an event loop:
 * {@link io.canaryproxy.lifecycle.HttpGatekeeper} asks the gates ({@code rollout.gates}), {@link
 * io.canaryproxy.lifecycle.PrometheusChecks} runs the business-metric queries ({@code
 * rollout.analysis.metrics}), and {@link io.canaryproxy.lifecycle.RevisionWatcher} notices a new
 * canary revision ({@code rollout.revision}). The decisions stay in {@code analysis}'s {@code
 * RolloutController}; start reading at {@link io.canaryproxy.lifecycle.Lifecycle}, which builds
 * them.
 */
package io.canaryproxy.lifecycle;
