package io.canaryproxy.routing;

import static io.canaryproxy.routing.FakeRequest.request;
import static io.canaryproxy.routing.RoutingTableTest.route;
import static io.canaryproxy.routing.RoutingTableTest.table;
import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.routing.RoutingResult.Reason;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code routing.anonymous: cookie}: ids minted, read back, validated, and routed by. */
class AnonymousVisitorRoutingTest {
  private static final String COOKIE_TABLE =
      "{userKey: [{header: x-user-id}], canaryPercent: 50, salt: s, anonymous: cookie}";

  @Test
  void aNewVisitorIsRoutedByTheIdItIsGiven() {
    RoutingTable t = table(COOKIE_TABLE);
    for (int i = 0; i < 200; i++) {
      RoutingResult r = route(t, request().header("cookie", "theme=dark"));
      assertThat(r.userKey()).matches("[A-Za-z0-9_-]{22}");
      assertThat(r.setCookie)
          .isEqualTo(
              "cp_uid=" + r.userKey() + "; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax");
      assertThat(r.reason).isEqualTo(Reason.COHORT);
      assertThat(r.bucket).isEqualTo(Cohorts.bucket("s", r.userKey()));
      // the same id, sent back, lands on the same variant without a new cookie
      RoutingResult back = route(t, request().header("cookie", "cp_uid=" + r.userKey()));
      assertThat(back.variant).isEqualTo(r.variant);
      assertThat(back.userKey()).isEqualTo(r.userKey());
      assertThat(back.setCookie).isNull();
    }
  }

  @Test
  void idsDoNotRepeatAndCoverBothCohorts() {
    RoutingTable t = table(COOKIE_TABLE);
    Set<String> ids = new HashSet<>();
    int canary = 0;
    for (int i = 0; i < 2000; i++) {
      RoutingResult r = route(t, request());
      ids.add(r.userKey());
      canary += r.variant == Variant.CANARY ? 1 : 0;
    }
    assertThat(ids).hasSize(2000);
    assertThat(canary).isBetween(800, 1200); // 50% of 2000 random ids, far beyond 8 sigma
  }

  @Test
  void aConfiguredUserKeyWinsAndNoCookieIsIssued() {
    RoutingResult r = route(table(COOKIE_TABLE), request().header("x-user-id", "alice"));
    assertThat(r.userKey()).isEqualTo("alice");
    assertThat(r.setCookie).isNull();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "cp_uid=short",
        "cp_uid=",
        "cp_uid=has.dots.in.it",
        "cp_uid=<script>alert(1)</script>",
        "cp_uid=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" // 65
      })
  void anInvalidIdIsReplacedByANewOne(String cookie) {
    RoutingResult r = route(table(COOKIE_TABLE), request().header("cookie", cookie));
    assertThat(r.setCookie).startsWith("cp_uid=" + r.userKey() + ";");
    assertThat(cookie).doesNotContain(r.userKey());
  }

  @Test
  void aForgedButWellFormedIdIsJustAKey() {
    RoutingResult r = route(table(COOKIE_TABLE), request().header("cookie", "cp_uid=chosen-by-me"));
    assertThat(r.userKey()).isEqualTo("chosen-by-me");
    assertThat(r.setCookie).isNull();
    assertThat(r.bucket).isEqualTo(Cohorts.bucket("s", "chosen-by-me"));
  }

  @Test
  void theCookieAttributesFollowTheConfig() {
    RoutingTable t =
        table(
            "{anonymous: cookie, anonymousCookie: {name: vid, maxAge: 0s, secure: true,"
                + " httpOnly: false, sameSite: none}}");
    RoutingResult r = route(t, request());
    assertThat(r.setCookie).isEqualTo("vid=" + r.userKey() + "; Path=/; Secure; SameSite=None");
    assertThat(route(t, request().header("cookie", "vid=" + r.userKey())).setCookie).isNull();
  }

  @Test
  void otherAnonymousPoliciesIssueNothing() {
    assertThat(route(table("{anonymous: split, canaryPercent: 50}"), request()).setCookie).isNull();
    assertThat(route(table("{anonymous: stable}"), request()).userKey()).isNull();
  }

  @Test
  void theCookieHeaderIsProtectedFromConnection() {
    assertThat(table("{anonymous: cookie}").headersRead()).contains("cookie");
  }

  @Test
  void raisingThePercentKeepsTheVisitorCookie() {
    RoutingTable t = table(COOKIE_TABLE).withCanaryPercent(100);
    RoutingResult r = route(t, request());
    assertThat(r.setCookie).isNotNull();
    assertThat(r.variant).isEqualTo(Variant.CANARY);
  }
}
