package io.canaryproxy.routing;

import io.canaryproxy.config.RoutingConfig.Arm;
import io.canaryproxy.routing.RoutingResult.Reason;
import java.util.List;

/**
 * The arms of {@code routing.experiments} as disjoint ranges of cohort buckets, taken from the top:
 * the first arm holds the highest buckets, the next one the range below, and so on. The canary's
 * range grows from bucket 0 up and arms are checked first, so raising the canary's share never
 * takes a user out of an arm, and an arm's users stay in it as long as the arms before it keep
 * their shares. Immutable.
 */
final class Arms {
  private final String[] names;
  private final String[] backends;

  /**
   * Arm {@code i} holds buckets {@code [floors[i], floors[i - 1])}, with {@code floors[-1]} 10000.
   */
  private final int[] floors;

  /** The lowest bucket held by an arm; 10000 without arms. */
  private final int start;

  Arms(List<Arm> arms) {
    names = new String[arms.size()];
    backends = new String[arms.size()];
    floors = new int[arms.size()];
    int ceiling = Cohorts.BUCKETS;
    for (int i = 0; i < names.length; i++) {
      Arm a = arms.get(i);
      names[i] = a.name();
      backends[i] = a.backend();
      ceiling -= Cohorts.threshold(a.percent());
      if (ceiling < 0) {
        throw new IllegalArgumentException("experiments: shares above 100%");
      }
      floors[i] = ceiling;
    }
    start = ceiling;
  }

  List<String> names() {
    return List.of(names);
  }

  /** Sends a user in {@code bucket} to its arm and returns true; false when in no arm. */
  boolean route(int bucket, RoutingResult out) {
    if (bucket < start) {
      return false;
    }
    for (int i = 0; i < floors.length; i++) {
      if (bucket >= floors[i]) {
        set(out, i);
        return true;
      }
    }
    return false;
  }

  /** Sends the request to the arm called {@code name} and returns true; false when none is. */
  boolean routeByName(String name, RoutingResult out) {
    for (int i = 0; i < names.length; i++) {
      if (names[i].equals(name)) {
        if (floors[i] == (i == 0 ? Cohorts.BUCKETS : floors[i - 1])) {
          return false; // an arm with no share takes no users, as a canary at 0% takes none
        }
        set(out, i);
        return true;
      }
    }
    return false;
  }

  private void set(RoutingResult out, int i) {
    out.backend = backends[i];
    out.variant = Variant.OTHER;
    out.reason = Reason.EXPERIMENT;
    out.arm = names[i];
  }
}
