package io.canaryproxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.canaryproxy.testing.RawBackend;
import io.canaryproxy.testing.RawHttp;
import io.canaryproxy.testing.RunningProxy;
import io.canaryproxy.testing.SmugglingCorpus;
import io.canaryproxy.testing.SmugglingCorpus.Case;
import io.canaryproxy.testing.SmugglingCorpus.Forwarded;
import io.canaryproxy.testing.SmugglingCorpus.Outcome;
import io.canaryproxy.testing.StrictRequestParser;
import io.canaryproxy.testing.StrictRequestParser.Request;
import io.canaryproxy.testing.TestConfigs;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each case of {@link SmugglingCorpus} over real sockets: what the client gets (status, closed) and
 * what a raw backend received, read by the independent {@link StrictRequestParser}: exactly the
 * requests the proxy accepted, each framed by the proxy, with no byte more. A fresh proxy and
 * backend per case, so a case that desynchronizes a connection cannot taint the next.
 */
class SmugglingCorpusIT {
  private static final String SENTINEL = "/next-user-sentinel";
  private RawBackend backend;
  private RunningProxy proxy;

  @BeforeEach
  void start() throws Exception {
    backend = RawBackend.echoingTargets();
    proxy =
        new RunningProxy(
            TestConfigs.proxy(
                Map.of("stable", backend.endpoint(), "canary", backend.endpoint()),
                // Loopback clients are not trusted with the override header.
                TestConfigs.routing(0, List.of(), "10.255.255.255/32"),
                TestConfigs.defaultTimeouts(),
                TestConfigs.defaultLimits()));
  }

  @AfterEach
  void stop() throws IOException {
    if (proxy != null) {
      proxy.close();
    }
    backend.close();
  }

  static List<Case> cases() {
    String only = System.getProperty("corpus.only");
    return SmugglingCorpus.cases().stream()
        .filter(c -> only == null || c.name().contains(only))
        .toList();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void forwardsExactlyWhatItAccepts(Case c) throws Exception {
    List<RawHttp.Response> responses = new ArrayList<>();
    boolean closed;
    try (RawHttp client = new RawHttp(proxy.port())) {
      client.send(c.raw());
      RawHttp.Response first = client.read();
      responses.add(first);
      int expected = c.outcome() == Outcome.ACCEPT ? c.forwarded().size() : 1;
      for (int i = 1; i < expected; i++) {
        responses.add(client.read());
      }
      closed = first.status() >= 400 && client.closedByPeer();
    }
    int status = responses.get(0).status();
    boolean rejected = status >= 400;
    switch (c.outcome()) {
      case ACCEPT ->
          assertThat(responses)
              .allSatisfy(
                  r -> assertThat(r.status()).as("status (%s)", r.bodyText()).isEqualTo(200));
      case REJECT ->
          assertThat(status).as("status (%s)", responses.get(0).bodyText()).isEqualTo(c.status());
      case EITHER ->
          assertThat(status)
              .as("status (%s)", responses.get(0).bodyText())
              .isIn(200, 400, 501, 505);
    }
    nextUserGetsItsOwnAnswer();
    List<Request> got = strictRequests(rejected);
    assertThat(got.stream().filter(r -> r.target().equals(SENTINEL))).hasSize(1);
    got.removeIf(r -> r.target().equals(SENTINEL));
    if (rejected) {
      assertThat(closed).as("connection closed after %s", status).isTrue();
      // A body error may come after the head left; the backend must still see no request.
      assertThat(got).as("requests forwarded before the %s", status).isEmpty();
      return;
    }
    if (c.outcome() == Outcome.EITHER) {
      assertThat(got).as("requests forwarded").hasSize(1);
      return;
    }
    assertThat(got).as("requests forwarded").hasSize(c.forwarded().size());
    for (int i = 0; i < got.size(); i++) {
      Request r = got.get(i);
      Forwarded want = c.forwarded().get(i);
      assertThat(r.method() + " " + r.target()).isEqualTo(want.method() + " " + want.target());
      assertThat(r.bodyText()).as("body of %s", r).isEqualTo(want.body());
      assertThat(r.framing()).as("framing of %s", r).isEqualTo(want.framing());
      assertThat(responses.get(i).bodyText()).as("answer %s", i).isEqualTo(want.target());
    }
    for (String check : c.checks()) {
      Request r = got.get(0);
      if (check.startsWith("!")) {
        assertThat(r.all(check.substring(1))).as(check).isEmpty();
      } else {
        int colon = check.indexOf(':');
        assertThat(r.all(check.substring(0, colon)))
            .as(check)
            .containsExactly(check.substring(colon + 1).trim());
      }
    }
  }

  /**
   * Sends the next user's request on a new client connection: it takes the pooled backend
   * connection, if any, so once it is answered that connection has delivered every byte the proxy
   * sent before it. A desynchronized connection gives the next user someone else's answer.
   */
  private void nextUserGetsItsOwnAnswer() throws IOException {
    try (RawHttp next = new RawHttp(proxy.port())) {
      RawHttp.Response r = next.send("GET " + SENTINEL + " HTTP/1.1\r\nHost: x\r\n\r\n").read();
      assertThat(r.status() + " " + r.bodyText())
          .as("the next user's answer")
          .isEqualTo("200 " + SENTINEL);
    }
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () -> backend.conns().stream().allMatch(SmugglingCorpusIT::closedOrEndsWithSentinel));
  }

  private static boolean closedOrEndsWithSentinel(RawBackend.Conn conn) {
    List<Request> requests = StrictRequestParser.parsePrefix(conn.bytes()).requests();
    return conn.closed()
        || (!requests.isEmpty() && requests.get(requests.size() - 1).target().equals(SENTINEL));
  }

  /**
   * Every request the backend received, strictly parsed; none may carry trailers (R2). With {@code
   * cutOff}, a connection the proxy closed may end in a partial request (an abandoned exchange).
   */
  private List<Request> strictRequests(boolean cutOff) {
    List<Request> all = new ArrayList<>();
    for (RawBackend.Conn conn : backend.conns()) {
      try {
        if (cutOff && conn.closed()) {
          StrictRequestParser.Prefix prefix = StrictRequestParser.parsePrefix(conn.bytes());
          assertThat(prefix.error()).as("strict parse of:%n%s", conn.text()).isNull();
          all.addAll(prefix.requests());
          continue;
        }
        all.addAll(conn.requests());
      } catch (StrictRequestParser.StrictParseException e) {
        throw new AssertionError(
            "backend stream is not strict HTTP/1.1 (" + e.getMessage() + "):\n" + conn.text(), e);
      }
    }
    assertThat(all).allSatisfy(r -> assertThat(r.trailers()).as("trailers of %s", r).isEmpty());
    return all;
  }
}
