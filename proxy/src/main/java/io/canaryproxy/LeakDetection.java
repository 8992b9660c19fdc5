package io.canaryproxy;

import io.netty.util.ResourceLeakDetector;

/**
 * Netty's buffer-leak detector in a running proxy: off unless a level is given. At Netty's default
 * (SIMPLE: a stack record for about one buffer allocation in 128) it cost 12-18% of the CPU per
 * proxied request in the split benchmark, for a check that the tests already make on every buffer
 * ({@code paranoid}). A leak in production still shows as {@code
 * canary_proxy_netty_allocator_memory_used{memory_type="direct"}} growing; {@code
 * -Dio.netty.leakDetection.level=simple} (e.g. in {@code JAVA_TOOL_OPTIONS}) turns sampling back on
 * to find it.
 */
final class LeakDetection {
  static final String LEVEL_PROPERTY = "io.netty.leakDetection.level";

  /** The older spelling Netty still reads. */
  static final String OLD_LEVEL_PROPERTY = "io.netty.leakDetectionLevel";

  private LeakDetection() {}

  /**
   * Turns the detector off unless one of Netty's level properties is set; call before the first
   * buffer is allocated.
   */
  static void applyDefault() {
    if (System.getProperty(LEVEL_PROPERTY) == null
        && System.getProperty(OLD_LEVEL_PROPERTY) == null) {
      ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
    }
  }
}
