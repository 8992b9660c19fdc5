package io.canaryproxy.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a hot reload cannot apply. A reload applies {@code backends} and {@code routing} at once;
 * every other section is read only at start-up, so when it changed, the log says that it takes
 * effect on the next start.
 */
public final class ConfigDiff {
  private ConfigDiff() {}

  /**
   * The sections that differ between {@code running} and {@code next} and that only a restart
   * applies, in YAML order ({@code listen/ioThreads}, {@code admin}, {@code mirror}, ...); empty
   * when the reload applies completely.
   */
  public static List<String> restartOnly(ProxyConfig running, ProxyConfig next) {
    List<String> changed = new ArrayList<>();
    if (!Objects.equals(running.listen(), next.listen())
        || running.ioThreads() != next.ioThreads()) {
      changed.add("listen/ioThreads");
    }
    addIfChanged(changed, "admin", running.admin(), next.admin());
    addIfChanged(changed, "mirror", running.mirror(), next.mirror());
    addIfChanged(changed, "rollout", running.rollout(), next.rollout());
    addIfChanged(changed, "timeouts", running.timeouts(), next.timeouts());
    addIfChanged(changed, "limits", running.limits(), next.limits());
    addIfChanged(changed, "metrics", running.metrics(), next.metrics());
    addIfChanged(changed, "accessLog", running.accessLog(), next.accessLog());
    addIfChanged(changed, "drain", running.drain(), next.drain());
    addIfChanged(changed, "dns", running.dns(), next.dns());
    addIfChanged(changed, "tls", running.tls(), next.tls());
    addIfChanged(changed, "proxyProtocol", running.proxyProtocol(), next.proxyProtocol());
    return changed;
  }

  private static void addIfChanged(
      List<String> changed, String section, Object before, Object after) {
    if (!Objects.equals(before, after)) {
      changed.add(section);
    }
  }
}
