package io.canaryproxy;

import io.canaryproxy.testing.EtcdServer;
import io.canaryproxy.testing.FleetStoreFixture;
import java.nio.file.Path;

/**
 * The fleet scenarios on a real single-node etcd on loopback ports. Skipped, with the reason
 * printed, when etcd is not installed.
 */
class FleetIT extends FleetScenarios {
  @Override
  protected FleetStoreFixture startStore(Path dir) throws Exception {
    return EtcdServer.start(dir, "FleetIT");
  }
}
