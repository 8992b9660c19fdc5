package io.canaryproxy.bench.load;

import java.util.Arrays;
import java.util.Random;

/**
 * Picks the user id sent in {@code --user-header} for each request: {@code uniform} over {@code
 * user-1 .. user-N}, or {@code zipf:S} where user {@code k} is chosen with probability proportional
 * to {@code 1/k^S} (a few heavy users, a long tail).
 */
public final class UserPicker {
  /** The largest supported {@code --users}, which bounds the Zipf table to 8 MB. */
  public static final int MAX_USERS = 1_000_000;

  private final int users;
  private final double[] cdf;
  private final String description;

  private UserPicker(int users, double[] cdf, String description) {
    this.users = users;
    this.cdf = cdf;
    this.description = description;
  }

  /**
   * Parses {@code uniform} or {@code zipf:S} (S in (0, 10]) for {@code users} users, 1..{@value
   * #MAX_USERS}.
   */
  public static UserPicker parse(String dist, int users) {
    if (users < 1 || users > MAX_USERS) {
      throw new IllegalArgumentException("users: " + users + " (expected: 1.." + MAX_USERS + ")");
    }
    if (dist == null || dist.equals("uniform")) {
      return new UserPicker(users, null, "uniform");
    }
    if (dist.startsWith("zipf:")) {
      double s;
      try {
        s = Double.parseDouble(dist.substring("zipf:".length()));
      } catch (NumberFormatException e) {
        s = Double.NaN;
      }
      if (s > 0 && s <= 10) {
        double[] cdf = new double[users];
        double sum = 0;
        for (int k = 1; k <= users; k++) {
          sum += 1 / Math.pow(k, s);
          cdf[k - 1] = sum;
        }
        for (int i = 0; i < users; i++) {
          cdf[i] /= sum;
        }
        return new UserPicker(users, cdf, dist);
      }
    }
    throw new IllegalArgumentException(
        "user-dist: " + dist + " (expected: uniform | zipf:S with 0 < S <= 10)");
  }

  /** The 1-based index of the next user. */
  public int nextIndex(Random random) {
    if (cdf == null) {
      return 1 + random.nextInt(users);
    }
    int i = Arrays.binarySearch(cdf, random.nextDouble());
    int index = i >= 0 ? i : -i - 1;
    return 1 + Math.min(index, users - 1);
  }

  /** The next user id, {@code user-K}. */
  public String next(Random random) {
    return "user-" + nextIndex(random);
  }

  @Override
  public String toString() {
    return users + " users, " + description;
  }
}
