/**
 * One rollout per fleet (ARCHITECTURE.md decision 8), in plain Java (no Netty). {@link
 * io.canaryproxy.coordination.RolloutFeed} turns each metrics interval into the judge's input. With
 * {@code rollout.coordination.store: file} that input goes straight to the rollout controller and
 * the state file; with {@code etcd}, {@link io.canaryproxy.coordination.FleetCoordinator} publishes
 * it to etcd, elects a leader that judges the sum of every replica's intervals, keeps the state
 * there ({@code EtcdRolloutStore}, compare-and-set on a revision) and makes every replica follow it
 * through a watch. {@code EtcdClient} speaks etcd's v3 HTTP/JSON gateway (with etcd authentication
 * when {@code username} is set). Start reading at {@code FleetCoordinator}.
 */
package io.canaryproxy.coordination;
