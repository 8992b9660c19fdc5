package io.canaryproxy.forwarding;

import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.testing.RawBackend;
import io.canaryproxy.testing.RawBackend.Reply;
import io.canaryproxy.testing.RawHttp;
import io.canaryproxy.testing.RunningProxy;
import io.canaryproxy.testing.SmugglingCorpus;
import io.canaryproxy.testing.StrictRequestParser;
import io.canaryproxy.testing.StrictRequestParser.Request;
import io.canaryproxy.testing.YamlConfigs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * An attacker, then a victim, on one event loop and a pool of one backend connection: whatever the
 * attacker sends (or the backend answers it), the victim gets its own response, and its session
 * cookie appears in exactly one request the backend parsed: the victim's.
 */
class InterleavingIT {
  private static final String EVIL =
      "HTTP/1.1 302 Found\r\nLocation: http://evil.example/\r\nSet-Cookie: session=attacker\r\n"
          + "Content-Length: 0\r\n\r\n";

  private RawBackend backend;
  private RunningProxy proxy;

  @AfterEach
  void stop() throws IOException {
    if (proxy != null) {
      proxy.close();
    }
    if (backend != null) {
      backend.close();
    }
  }

  private void start(RawBackend.Script script) throws Exception {
    backend = new RawBackend(script);
    proxy = new RunningProxy(YamlConfigs.oneBackend(backend.endpoint(), 1, ""));
  }

  /** The corpus's attacks on request framing, routing headers and the request line. */
  static Stream<Arguments> attacks() {
    return SmugglingCorpus.cases().stream()
        .filter(
            c ->
                c.name().matches("R[1-8] .*")
                    || c.name().startsWith("CL.TE")
                    || c.name().startsWith("TE"))
        .map(c -> Arguments.of(c.name(), c.raw()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("attacks")
  void aHostileRequestCannotTakeTheNextUsersExchange(String name, String attack) throws Exception {
    start((conn, index, request) -> Reply.ok(request.target()));
    try (RawHttp attacker = new RawHttp(proxy.port())) {
      attacker.send(attack).read(); // the attacker's connection stays open while the victim runs
      victimGetsItsOwnExchange();
    }
  }

  static Stream<Arguments> hostileAnswers() {
    return Stream.of(
        Arguments.of(
            "past Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" + EVIL),
        Arguments.of("204 with a body", "HTTP/1.1 204 No Content\r\n\r\n" + EVIL),
        Arguments.of(
            "204 with a partial body", "HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\nHTT"),
        Arguments.of(
            "unrequested 101", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n" + EVIL),
        Arguments.of(
            "two Content-Length",
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n" + EVIL));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hostileAnswers")
  void aHostileBackendAnswerCannotReachTheNextUser(String name, String answer) throws Exception {
    start(
        (conn, index, request) ->
            request.target().equals("/attacker") ? Reply.of(answer) : Reply.ok(request.target()));
    try (RawHttp attacker = new RawHttp(proxy.port())) {
      attacker.send("GET /attacker HTTP/1.1\r\nHost: x\r\n\r\n").read();
      victimGetsItsOwnExchange();
    }
  }

  private void victimGetsItsOwnExchange() throws IOException {
    String secret = UUID.randomUUID().toString();
    String target = "/victim/" + secret.substring(0, 8);
    try (RawHttp victim = new RawHttp(proxy.port())) {
      RawHttp.Response r =
          victim
              .send(
                  "GET "
                      + target
                      + " HTTP/1.1\r\nHost: x\r\nx-user-id: victim\r\nCookie: session="
                      + secret
                      + "\r\n\r\n")
              .read();
      assertThat(r.status() + " " + r.bodyText())
          .as("the victim's answer")
          .isEqualTo("200 " + target);
      assertThat(r.header("set-cookie")).isNull();
    }
    List<Request> carrying = new ArrayList<>();
    for (RawBackend.Conn conn : backend.conns()) {
      StrictRequestParser.Prefix prefix = StrictRequestParser.parsePrefix(conn.bytes());
      assertThat(prefix.error()).as("strict parse of:%n%s", conn.text()).isNull();
      for (Request q : prefix.requests()) {
        String all = q.all("cookie") + " " + new String(q.body(), StandardCharsets.ISO_8859_1);
        if (all.contains(secret)) {
          carrying.add(q);
        }
      }
      // Bytes the parser has not made into a request yet must not hold the secret either.
      String rest =
          new String(
              conn.bytes(),
              prefix.consumed(),
              conn.bytes().length - prefix.consumed(),
              StandardCharsets.ISO_8859_1);
      assertThat(rest).as("unparsed backend bytes").doesNotContain(secret);
    }
    assertThat(carrying).as("requests carrying the victim's cookie").hasSize(1);
    assertThat(carrying.get(0).target()).isEqualTo(target);
  }
}
