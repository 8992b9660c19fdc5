package io.canaryproxy.routing;

import static io.canaryproxy.routing.FakeRequest.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.management.ThreadMXBean;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * A routing decision for an ASCII header key and non-regex rules allocates nothing on the request
 * path.
 */
class RoutingAllocationTest {
  private static final int CALLS = 200_000;

  @Test
  void routingAHeaderKeyedRequestAllocatesNothing() {
    ThreadMXBean mx = (ThreadMXBean) ManagementFactory.getThreadMXBean();
    assumeTrue(mx.isThreadAllocatedMemorySupported(), "this JVM cannot count allocated bytes");
    mx.setThreadAllocatedMemoryEnabled(true);
    RoutingTable table =
        RoutingTableTest.table(
            "{canaryPercent: 25, salt: release-42, userKey: [{header: x-user-id}, {cookie: uid}],"
                + " override: {header: x-canary, trustedCidrs: [10.0.0.0/8]}, rules: [{match:"
                + " {header: {name: x-beta, equals: \"true\"}}, to: canary},         {match: {path:"
                + " {prefix: /internal/}, cookie: {name: grp, present: true}}, to: stable}]}");
    FakeRequest[] requests = new FakeRequest[64];
    for (int i = 0; i < requests.length; i++) {
      requests[i] =
          request().header("x-user-id", "user-" + i).header("cookie", "grp=a").path("/internal/x");
    }
    RoutingResult out = new RoutingResult();
    long bucketSum = 0;
    for (int i = 0; i < CALLS; i++) {
      table.route(requests[i & 63], out);
    }

    long before = mx.getCurrentThreadAllocatedBytes();
    for (int i = 0; i < CALLS; i++) {
      table.route(requests[i & 63], out);
      bucketSum += out.bucket;
    }
    long allocated = mx.getCurrentThreadAllocatedBytes() - before;

    assertThat(bucketSum).isPositive();
    // well under one byte per call: a single 16-byte object per decision would be 3.2 MB
    assertThat(allocated).isLessThan(CALLS / 4);
  }
}
