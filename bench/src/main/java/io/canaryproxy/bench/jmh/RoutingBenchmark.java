/*
 * Cost of one routing decision: RoutingTable.route with an override header check, two rules that do not match
 * (a header rule and a path prefix rule) and the sticky cohort hash of the user key. The goal is 0 B/op for a header
 * key; a key read from a cookie costs one substring. The *Visitor and *Propagating cases use the same table plus
 * `anonymous: cookie` and `propagate` (with a trusted peer): a returning visitor's id cookie costs one substring, a new
 * visitor pays for minting an id (SecureRandom) and its Set-Cookie value, and a header key stays at 0 B/op.
 *
 * Run (after `mvn -B -o install -DskipTests`):
 *   java -jar bench/target/canary-bench.jar jmh -prof gc RoutingBenchmark
 * Read ns/op in the score column and B/op in gc.alloc.rate.norm.
 */
package io.canaryproxy.bench.jmh;

import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.routing.RequestView;
import io.canaryproxy.routing.RoutingResult;
import io.canaryproxy.routing.RoutingTable;
import java.net.InetAddress;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link RoutingTable#route} for 1,024 distinct users, with the user key in a header or in a
 * cookie.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RoutingBenchmark {
  private static final int USERS = 1024;
  private static final String CONFIG =
      String.join(
          "\n",
          "listen: 127.0.0.1:0",
          "admin:",
          "  listen: 127.0.0.1:0",
          "backends:",
          "  stable: { endpoints: [\"127.0.0.1:18001\"] }",
          "  canary: { endpoints: [\"127.0.0.1:18002\"] }",
          "routing:",
          "  userKey:",
          "    - header: x-user-id",
          "    - cookie: uid",
          "  canaryPercent: 10",
          "  salt: \"bench-salt\"",
          "  override:",
          "    header: x-canary",
          "    trustedCidrs: [\"10.0.0.0/8\", \"127.0.0.1/32\"]",
          "  rules:",
          "    - match: { header: { name: x-beta, equals: \"true\" } }",
          "      to: canary",
          "    - match: { path: { prefix: /internal/ } }",
          "      to: stable",
          "");

  private static final String VISITOR_CONFIG =
      CONFIG
          + String.join(
              "\n",
              "  anonymous: cookie",
              "  propagate: { header: x-canary-variant, baggage: true, trustInbound: [\"10.0.0.0/8\"] }",
              "");

  private final View[] headerKey = new View[USERS];
  private final View[] cookieKey = new View[USERS];
  private final View[] visitorKey = new View[USERS];
  private View newVisitor;
  private final RoutingResult out = new RoutingResult();
  private RoutingTable table;
  private RoutingTable visitorTable;
  private int next;

  @Setup
  public void setUp() throws Exception {
    table = RoutingTable.compile(ConfigLoader.parse(CONFIG).routing());
    visitorTable = RoutingTable.compile(ConfigLoader.parse(VISITOR_CONFIG).routing());
    InetAddress client = InetAddress.getByName("127.0.0.1");
    newVisitor = new View(null, "theme=dark", "/api/items", client);
    for (int i = 0; i < USERS; i++) {
      headerKey[i] = new View("user-" + (i * 7919), null, "/api/items", client);
      cookieKey[i] =
          new View(null, "theme=dark; uid=user-" + (i * 7919) + "; lang=en", "/api/items", client);
      visitorKey[i] =
          new View(
              null,
              "theme=dark; cp_uid=Vq3xT9b" + (100000 + i) + "kLm2; lang=en",
              "/api/items",
              client);
    }
  }

  /** User key in {@code x-user-id}. Returns the bucket so that nothing is dead code. */
  @Benchmark
  public int routeHeaderKey() {
    table.route(headerKey[next++ & (USERS - 1)], out);
    return out.bucket;
  }

  /** User key in the {@code uid} cookie, after the header source came up empty. */
  @Benchmark
  public int routeCookieKey() {
    table.route(cookieKey[next++ & (USERS - 1)], out);
    return out.bucket;
  }

  /** A header key through the table with {@code anonymous: cookie} and {@code propagate}. */
  @Benchmark
  public int routeHeaderKeyPropagating() {
    visitorTable.route(headerKey[next++ & (USERS - 1)], out);
    return out.bucket;
  }

  /** A returning anonymous visitor: the id comes from the {@code cp_uid} cookie. */
  @Benchmark
  public int routeReturningVisitor() {
    visitorTable.route(visitorKey[next++ & (USERS - 1)], out);
    return out.bucket;
  }

  /** A new anonymous visitor: an id is minted and its Set-Cookie value built. */
  @Benchmark
  public int routeNewVisitor() {
    visitorTable.route(newVisitor, out);
    return out.bucket;
  }

  /** A request with a user header and/or a cookie; every other header is absent. */
  private record View(String userHeader, String cookie, String path, InetAddress remoteAddress)
      implements RequestView {
    @Override
    public String header(String lowerCaseName) {
      return switch (lowerCaseName) {
        case "x-user-id" -> userHeader;
        case "cookie" -> cookie;
        default -> null;
      };
    }
  }
}
