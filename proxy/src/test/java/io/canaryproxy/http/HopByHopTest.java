package io.canaryproxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.server.http1.NettyHeaders;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class HopByHopTest {
  static Stream<Arguments> heads() {
    return Stream.of(
        Arguments.of(
            "nothing to strip",
            List.of("Host", "a", "X-User-Id", "u1"),
            List.of("Host", "X-User-Id")),
        Arguments.of(
            "connection keep-alive",
            List.of("Content-Length", "7", "Connection", "keep-alive", "Keep-Alive", "timeout=5"),
            List.of("Content-Length")),
        Arguments.of(
            "connection close removes only what it names",
            List.of("Connection", "close", "Close", "a field named by the option", "Date", "d"),
            List.of("Date")),
        Arguments.of(
            "listed fields, any case, with spaces",
            List.of(
                "Connection",
                "X-Private ,Keep-Alive,,  x-other",
                "x-private",
                "1",
                "X-OTHER",
                "2",
                "X-Kept",
                "3"),
            List.of("X-Kept")),
        Arguments.of(
            "fixed hop-by-hop fields without Connection",
            List.of(
                "TE",
                "trailers",
                "Trailer",
                "x",
                "Upgrade",
                "websocket",
                "Keep-Alive",
                "5",
                "Accept",
                "*/*"),
            List.of("Accept")),
        Arguments.of(
            "proxy- prefix in any case, but not the bare prefix",
            List.of(
                "Proxy-Authorization",
                "b",
                "PROXY-CONNECTION",
                "k",
                "proxy-",
                "kept",
                "Proxyish",
                "kept"),
            List.of("proxy-", "Proxyish")),
        Arguments.of(
            "Connection listing a proxy- field",
            List.of("Connection", "proxy-foo", "Proxy-Foo", "1", "Host", "a"),
            List.of("Host")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("heads")
  void stripLeavesOnlyEndToEndFields(String name, List<String> nameValues, List<String> kept) {
    Headers headers = NettyHeaders.create();
    for (int i = 0; i < nameValues.size(); i += 2) {
      headers.add(nameValues.get(i), nameValues.get(i + 1));
    }

    HopByHop.strip(headers);

    List<String> names = new ArrayList<>();
    headers.forEach(e -> names.add(e.getKey().toString()));
    assertThat(names).containsExactlyElementsOf(kept);
  }
}
