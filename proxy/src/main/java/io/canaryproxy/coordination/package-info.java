/**
 * One rollout per fleet (ARCHITECTURE.md decision 8), in plain Java (no Netty). {@link
 * io.canaryproxy.coordination.RolloutFeed} turns each metrics interval into the judge's input. With
 * {@code rollout.coordination.store: file} that input goes straight to the rollout controller and
 * the state file; otherwise {@link io.canaryproxy.coordination.FleetCoordinator} publishes it to a
 * {@code FleetStore}, elects a leader that judges the sum of every replica's intervals ({@code
 * FleetLedger}), keeps the state there ({@code FleetRolloutStore}, compare-and-set on a revision)
 * and makes every replica follow it through a watch ({@code FleetWatch}); {@code Staleness} says
 * when the store is out of reach and applies the fail-safe. {@code EtcdFleetStore} keeps the fleet
 * in etcd through {@code EtcdClient} (etcd's v3 HTTP/JSON gateway; {@code EtcdGateway} picks the
 * endpoint, authenticates when {@code username} is set, and speaks TLS from {@code EtcdTls});
 * {@code KubernetesFleetStore} keeps it in a Lease and ConfigMaps through fabric8's client ({@code
 * KubernetesApi}; the evidence ConfigMaps in {@code KubernetesEvidence}); {@code FleetStores} picks
 * one. Start reading at {@code FleetCoordinator}, then {@code FleetStore}.
 */
package io.canaryproxy.coordination;
