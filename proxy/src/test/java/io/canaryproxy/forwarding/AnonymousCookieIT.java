package io.canaryproxy.forwarding;

import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.routing.Cohorts;
import io.canaryproxy.testing.RunningProxy;
import io.canaryproxy.testing.StubServer;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code routing.anonymous: cookie} as a browser sees it, through a real proxy and real backends on
 * loopback: the first response gives the visitor an id cookie, the first request was already routed
 * by that id, and sending the cookie back keeps the visitor on one version.
 */
class AnonymousCookieIT {
  private static final String SALT = "visitor-salt";
  private static final Pattern ID = Pattern.compile("^cp_uid=([A-Za-z0-9_-]{22});");

  private final StubServer stable = StubServer.named("stable");
  private final StubServer canary =
      StubServer.start(
          (ctx, req) ->
              StubServer.reply(
                  ctx,
                  HttpResponseStatus.OK,
                  "canary\n",
                  "set-cookie",
                  req.uri().equals("/login") ? "cp_uid=app-owned-id; Path=/" : "cart=1; Path=/"));
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();
  private RunningProxy proxy;

  AnonymousCookieIT() throws InterruptedException {}

  @AfterEach
  void tearDown() {
    if (proxy != null) {
      proxy.close();
    }
    stable.close();
    canary.close();
  }

  private void start(int canaryPercent) throws Exception {
    proxy =
        new RunningProxy(
            ConfigLoader.parse(
                String.join(
                    "\n",
                    "listen: 127.0.0.1:0",
                    "ioThreads: 1",
                    "admin: { listen: 127.0.0.1:0 }",
                    "backends:",
                    "  stable: { endpoints: [\"" + stable.endpoint() + "\"] }",
                    "  canary: { endpoints: [\"" + canary.endpoint() + "\"] }",
                    "routing:",
                    "  userKey: [{ header: x-user-id }]",
                    "  canaryPercent: " + canaryPercent,
                    "  salt: \"" + SALT + "\"",
                    "  anonymous: cookie",
                    "  anonymousCookie: { maxAge: 720h, secure: false, sameSite: strict }",
                    "")));
  }

  private HttpResponse<String> get(String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(proxy.url(path)));
    for (int i = 0; i + 1 < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String idCookie(HttpResponse<?> r) {
    for (String v : r.headers().allValues("set-cookie")) {
      Matcher m = ID.matcher(v);
      if (m.find()) {
        return m.group(1);
      }
    }
    return null;
  }

  @Test
  void eachNewVisitorKeepsTheVersionItSawFirst() throws Exception {
    start(50);
    int canaryVisitors = 0;
    for (int v = 0; v < 40; v++) {
      HttpResponse<String> first = get("/");
      String id = idCookie(first);
      assertThat(id).as("visitor %d got an id cookie", v).isNotNull();
      String seen = first.body().trim();
      String cohort = Cohorts.inCanary(Cohorts.bucket(SALT, id), 50) ? "canary" : "stable";
      assertThat(seen).as("the first request was routed by the new id").isEqualTo(cohort);
      canaryVisitors += seen.equals("canary") ? 1 : 0;
      for (int i = 0; i < 5; i++) {
        HttpResponse<String> again = get("/page/" + i, "Cookie", "lang=en; cp_uid=" + id);
        assertThat(again.body().trim()).isEqualTo(seen);
        assertThat(idCookie(again)).as("no new id for a returning visitor").isNull();
      }
    }
    assertThat(canaryVisitors).as("both versions are exercised").isBetween(5, 35);
  }

  @Test
  void theCookieCarriesTheConfiguredAttributesBesideTheBackendsOwn() throws Exception {
    start(100);
    HttpResponse<String> r = get("/");
    assertThat(r.body().trim()).isEqualTo("canary");
    List<String> cookies = r.headers().allValues("set-cookie");
    assertThat(cookies).hasSize(2).contains("cart=1; Path=/");
    assertThat(cookies)
        .anySatisfy(
            c ->
                assertThat(c)
                    .matches(
                        "cp_uid=[A-Za-z0-9_-]{22}; Path=/; Max-Age=2592000; HttpOnly;"
                            + " SameSite=Strict"));
    // the backend never sees the id on the first request: it was not sent by the browser
    assertThat(canary.received().get(0).header("cookie")).isNull();
  }

  @Test
  void aBackendThatSetsTheSameCookieKeepsItsOwnValue() throws Exception {
    start(100);
    HttpResponse<String> r = get("/login");
    assertThat(r.headers().allValues("set-cookie")).containsExactly("cp_uid=app-owned-id; Path=/");
    // and routing follows the application's id from then on
    HttpResponse<String> next = get("/", "Cookie", "cp_uid=app-owned-id");
    assertThat(idCookie(next)).isNull();
    assertThat(next.headers().allValues("set-cookie")).containsExactly("cart=1; Path=/");
  }

  @Test
  void aMalformedIdIsReplacedAndAUserKeyNeedsNoCookie() throws Exception {
    start(50);
    HttpResponse<String> forged = get("/", "Cookie", "cp_uid=\"<x>\"");
    assertThat(idCookie(forged)).isNotNull();
    HttpResponse<String> user = get("/", "x-user-id", "alice");
    assertThat(idCookie(user)).isNull();
    String expected = Cohorts.inCanary(Cohorts.bucket(SALT, "alice"), 50) ? "canary" : "stable";
    assertThat(user.body().trim()).isEqualTo(expected);
  }
}
