package io.canaryproxy.testing;

/** A fleet store a test starts on loopback ports, can take away and bring back. */
public interface FleetStoreFixture extends AutoCloseable {
  /** The {@code rollout.coordination} keys that reach it (without replicaId or leaseTtl). */
  String coordination();

  /** Its name in {@code /admin/rollout}'s {@code coordination.store}. */
  String kind();

  /** Takes it away at once, keeping its data: its port refuses connections until restart. */
  void kill() throws Exception;

  /** Brings it back on the same port with the same data. */
  void restart() throws Exception;

  @Override
  void close() throws Exception;
}
