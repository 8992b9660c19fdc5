package io.canaryproxy.bench;

import io.canaryproxy.bench.backend.LatencyDistribution;
import io.canaryproxy.bench.backend.StubBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code canary-bench backend --port N ...}: runs a {@link StubBackend} until interrupted. */
@Command(
    name = "backend",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = "Stub HTTP backend with configurable latency, errors and a mid-run degradation.")
final class BackendCommand implements Callable<Integer> {
  @Option(names = "--port", required = true, description = "Port; 0 picks a free one (printed)")
  int port;

  @Option(
      names = "--host",
      defaultValue = "127.0.0.1",
      description = "Bind address. Default: ${DEFAULT-VALUE}")
  String host;

  @Option(
      names = "--threads",
      defaultValue = "1",
      description = "Event-loop threads. Default: ${DEFAULT-VALUE}")
  int threads;

  @Option(
      names = "--latency",
      defaultValue = "0ms",
      description = "Fixed delay before answering. Default: ${DEFAULT-VALUE}")
  String latency;

  @Option(
      names = "--latency-dist",
      defaultValue = "fixed",
      description =
          "fixed | uniform:MIN-MAX | lognormal:MEDIAN,SIGMA | spike:BASE,SHARE,EXTRA. Default:"
              + " ${DEFAULT-VALUE}")
  String latencyDist;

  @Option(
      names = "--error-rate",
      defaultValue = "0",
      description = "Share of 500 answers, 0..1. Default: ${DEFAULT-VALUE}")
  double errorRate;

  @Option(names = "--body", description = "Response body text (default: ok)")
  String body;

  @Option(names = "--response-size", description = "Response body of exactly this many bytes")
  Integer responseSize;

  @Option(names = "--variant-name", description = "Echoed in the x-backend response header")
  String variantName;

  @Option(
      names = "--response-header",
      paramLabel = "'k: v'",
      description = "Extra response header (repeatable)")
  List<String> responseHeaders = new ArrayList<>();

  @Option(
      names = "--degrade-after",
      description = "Switch to the degraded settings after this long")
  String degradeAfter;

  @Option(
      names = "--degraded-latency",
      description = "Fixed delay once degraded (default: --latency)")
  String degradedLatency;

  @Option(
      names = "--degraded-error-rate",
      description = "Error share once degraded (default: --error-rate)")
  Double degradedErrorRate;

  @Option(
      names = "--stall-after",
      defaultValue = "0s",
      description = "When the one-off stall starts. Default: ${DEFAULT-VALUE}")
  String stallAfter;

  @Option(
      names = "--stall-for",
      defaultValue = "0s",
      description = "Hold every response this long, once (0 = never). Default: ${DEFAULT-VALUE}")
  String stallFor;

  @Override
  public Integer call() throws InterruptedException {
    StubBackend.Builder b;
    try {
      b = builder();
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      return 2;
    }
    StubBackend backend = b.start();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  backend.close();
                  stopped.countDown();
                }));
    System.out.println(
        "canary-bench backend listening on "
            + host
            + ":"
            + backend.port()
            + " "
            + backend.describe());
    System.out.flush();
    stopped.await();
    return 0;
  }

  StubBackend.Builder builder() {
    if (body != null && responseSize != null) {
      throw new IllegalArgumentException(
          "body: both --body and --response-size given (expected: one of them)");
    }
    StubBackend.Builder b =
        StubBackend.builder()
            .host(host)
            .port(port)
            .threads(threads)
            .latency(LatencyDistribution.parse(latencyDist, Durations.parse("latency", latency)))
            .errorRate(errorRate)
            .variantName(variantName)
            .stall(
                Durations.parse("stall-after", stallAfter), Durations.parse("stall-for", stallFor));
    if (body != null) {
      b.body(body);
    }
    if (responseSize != null) {
      b.responseSize(responseSize);
    }
    for (String h : responseHeaders) {
      int colon = h.indexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException("response-header: " + h + " (expected: 'name: value')");
      }
      b.responseHeader(h.substring(0, colon).trim(), h.substring(colon + 1).trim());
    }
    if (degradeAfter != null) {
      LatencyDistribution degraded =
          degradedLatency == null
              ? LatencyDistribution.parse(latencyDist, Durations.parse("latency", latency))
              : LatencyDistribution.fixed(Durations.parse("degraded-latency", degradedLatency));
      b.degradeAfter(
          Durations.parse("degrade-after", degradeAfter),
          degraded,
          degradedErrorRate == null ? errorRate : degradedErrorRate);
    }
    return b;
  }
}
