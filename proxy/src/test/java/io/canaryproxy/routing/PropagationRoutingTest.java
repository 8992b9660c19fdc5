package io.canaryproxy.routing;

import static io.canaryproxy.routing.FakeRequest.request;
import static io.canaryproxy.routing.RoutingTableTest.route;
import static io.canaryproxy.routing.RoutingTableTest.table;
import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.routing.RoutingResult.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code routing.propagate}: a variant chosen upstream is honoured only from trusted peers. */
class PropagationRoutingTest {
  /** At 1%, {@link #USER}'s cohort is stable: only propagation can send that user to the canary. */
  private static final String TABLE =
      "{userKey: [{header: x-user-id}], canaryPercent: 1, salt: p, propagate: {header: x-canary-variant,"
          + " baggage: true, trustInbound: [\"10.0.0.0/8\"]},"
          + " rules: [{match: {path: {prefix: /pinned/}}, to: stable}]}";

  private static final String USER = "someone";

  @Test
  void theUserIsStableByCohort() {
    assertThat(Cohorts.inCanary(Cohorts.bucket("p", USER), 1)).isFalse();
  }

  @ParameterizedTest(name = "[{index}] {0} from {1} at {2} -> {3}")
  @CsvSource(
      delimiter = '|',
      value = {
        "x-canary-variant: canary                  | 10.1.2.3  | /a        | canary | PROPAGATED",
        "x-canary-variant: CANARY                  | 10.1.2.3  | /a        | canary | PROPAGATED",
        "x-canary-variant: canary                  | 192.0.2.1 | /a        | stable | COHORT",
        "x-canary-variant: canary                  |           | /a        | stable | COHORT",
        "x-canary-variant: other                   | 10.1.2.3  | /a        | stable | COHORT",
        "x-canary-variant: canary                  | 10.1.2.3  | /pinned/x | stable | RULE",
        "baggage: a=1,x-canary-variant=canary;p=q  | 10.1.2.3  | /a        | canary | PROPAGATED",
        "baggage: x-canary-variant = canary , b=2  | 10.1.2.3  | /a        | canary | PROPAGATED",
        "baggage: x-canary-variant=canary          | 192.0.2.1 | /a        | stable | COHORT",
        "baggage: not-x-canary-variant=canary      | 10.1.2.3  | /a        | stable | COHORT",
      })
  void honouredOnlyFromTrustedPeersAfterTheRules(
      String header, String from, String path, String variant, Reason reason) {
    int colon = header.indexOf(':');
    FakeRequest req =
        request()
            .header("x-user-id", USER)
            .header(header.substring(0, colon).trim(), header.substring(colon + 1).trim())
            .path(path);
    if (from != null) {
      req.from(from);
    }
    RoutingResult r = route(table(TABLE), req);
    assertThat(r.variant.label()).isEqualTo(variant);
    assertThat(r.reason).isEqualTo(reason);
  }

  @Test
  void theHeaderWinsOverTheBaggageMember() {
    RoutingResult r =
        route(
            table(TABLE),
            request()
                .header("x-canary-variant", "stable")
                .header("baggage", "x-canary-variant=canary")
                .from("10.0.0.1"));
    assertThat(r.variant).isEqualTo(Variant.STABLE);
    assertThat(r.reason).isEqualTo(Reason.PROPAGATED);
  }

  @Test
  void withoutBaggageTheMemberIsNotRead() {
    RoutingTable t = table("{canaryPercent: 1, propagate: {trustInbound: [\"10.0.0.0/8\"]}}");
    RoutingResult r =
        route(t, request().header("baggage", "x-canary-variant=canary").from("10.0.0.1"));
    assertThat(r.variant).isEqualTo(Variant.STABLE);
    assertThat(t.propagateHeader()).isEqualTo("x-canary-variant");
    assertThat(t.propagateBaggage()).isFalse();
    assertThat(t.headersRead()).contains("x-canary-variant", "baggage");
  }

  @Test
  void aPropagatedCanaryIsRefusedWhileThisCanaryTakesNoUsers() {
    RoutingResult r =
        route(
            table(TABLE).withCanaryPercent(0),
            request().header("x-canary-variant", "canary").from("10.0.0.1"));
    assertThat(r.variant).isEqualTo(Variant.STABLE);
    assertThat(r.reason).isEqualTo(Reason.ANONYMOUS);
  }

  @Test
  void survivesAPercentChange() {
    RoutingTable t = table(TABLE).withCanaryPercent(100);
    assertThat(route(t, request().header("x-canary-variant", "stable").from("10.0.0.1")).variant)
        .isEqualTo(Variant.STABLE);
  }
}
