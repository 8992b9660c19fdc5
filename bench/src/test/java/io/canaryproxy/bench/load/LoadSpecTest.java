package io.canaryproxy.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class LoadSpecTest {
  private static final URI TARGET = URI.create("http://127.0.0.1:8080/x");

  static Stream<Arguments> invalid() {
    return Stream.of(
        Arguments.of(
            (Consumer<LoadSpec.Builder>) b -> b.duration(Duration.ofHours(2)),
            "duration: 2h (expected: 1ms..1h)"),
        Arguments.of(
            (Consumer<LoadSpec.Builder>) b -> b.rate(0),
            "rate: 0.0 (expected: > 0 and <= 10000000, or max)"),
        Arguments.of(
            (Consumer<LoadSpec.Builder>) b -> b.connections(0),
            "connections: 0 (expected: 1..10000)"),
        Arguments.of(
            (Consumer<LoadSpec.Builder>) b -> b.threads(65), "threads: 65 (expected: 1..64)"),
        Arguments.of(
            (Consumer<LoadSpec.Builder>) b -> b.warmup(Duration.ofMinutes(11)),
            "warmup: 11m (expected: 0..10m)"),
        Arguments.of(
            (Consumer<LoadSpec.Builder>) b -> b.method("get"),
            "method: get (expected: an upper-case HTTP method such as GET)"),
        Arguments.of(
            (Consumer<LoadSpec.Builder>) b -> b.timeout(Duration.ZERO),
            "timeout: 0ms (expected: 1ms..5m)"));
  }

  @ParameterizedTest
  @MethodSource("invalid")
  void rejectsOutOfRangeValues(Consumer<LoadSpec.Builder> setter, String message) {
    assertThatThrownBy(() -> setter.accept(LoadSpec.builder(TARGET)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }

  @Test
  void acceptsOnlyPlainHttpUrls() {
    assertThatThrownBy(() -> LoadSpec.builder(URI.create("https://example.org/")))
        .hasMessage("URL: https://example.org/ (expected: http://host[:port]/path)");
  }

  @Test
  void defaultsToClosedLoopAndPort80() {
    LoadSpec spec = LoadSpec.builder(URI.create("http://localhost/")).build();
    assertThat(spec.closedLoop()).isTrue();
    assertThat(spec.port()).isEqualTo(80);
    assertThat(LoadSpec.builder(TARGET).rate(100).build().closedLoop()).isFalse();
  }
}
