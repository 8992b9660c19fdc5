package io.canaryproxy.bench;

import io.canaryproxy.bench.load.LoadGenerator;
import io.canaryproxy.bench.load.LoadSpec;
import io.canaryproxy.bench.load.UserPicker;
import io.canaryproxy.bench.report.BenchResult;
import io.canaryproxy.bench.report.HtmlReport;
import io.canaryproxy.bench.report.JsonReport;
import io.canaryproxy.bench.report.TextReport;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code canary-bench [options] URL}: drives constant-rate (or closed-loop) HTTP/1.1 load and
 * reports latency.
 */
@Command(
    name = "canary-bench",
    mixinStandardHelpOptions = true,
    version = "canary-bench 0.1.0",
    sortOptions = false,
    subcommands = {BackendCommand.class, ReportCommand.class, JmhCommand.class},
    description = "Coordinated-omission-corrected HTTP/1.1 load generator (see bench/README.md).",
    footer = "Durations: 500ms, 10s, 2m, 1h. Exit status: 0 done, 1 run failed, 2 bad arguments.")
final class LoadCommand implements Callable<Integer> {
  @Parameters(arity = "0..1", paramLabel = "URL", description = "Target, http://host[:port]/path")
  String url;

  @Option(
      names = "--rate",
      defaultValue = "max",
      description = "Requests/s (open loop) or max (closed loop). Default: ${DEFAULT-VALUE}")
  String rate;

  @Option(
      names = "--duration",
      defaultValue = "30s",
      description = "Measured duration, at most 1h. Default: ${DEFAULT-VALUE}")
  String duration;

  @Option(
      names = "--warmup",
      defaultValue = "0s",
      description = "Load before measuring, excluded from results. Default: ${DEFAULT-VALUE}")
  String warmup;

  @Option(
      names = "--connections",
      defaultValue = "16",
      description = "Keep-alive connections. Default: ${DEFAULT-VALUE}")
  int connections;

  @Option(
      names = "--threads",
      defaultValue = "1",
      description = "Event-loop threads. Default: ${DEFAULT-VALUE}")
  int threads;

  @Option(names = "--header", paramLabel = "'k: v'", description = "Request header (repeatable)")
  List<String> headers = new ArrayList<>();

  @Option(names = "--users", description = "Send a user id picked from N users in --user-header")
  Integer users;

  @Option(
      names = "--user-header",
      defaultValue = "x-user-id",
      description = "Default: ${DEFAULT-VALUE}")
  String userHeader;

  @Option(
      names = "--user-dist",
      defaultValue = "uniform",
      description = "uniform | zipf:S. Default: ${DEFAULT-VALUE}")
  String userDist;

  @Option(names = "--method", defaultValue = "GET", description = "Default: ${DEFAULT-VALUE}")
  String method;

  @Option(names = "--body", description = "Request body text")
  String body;

  @Option(names = "--body-file", description = "Request body read from a file")
  Path bodyFile;

  @Option(
      names = "--timeout",
      defaultValue = "10s",
      description = "Per-request timeout. Default: ${DEFAULT-VALUE}")
  String timeout;

  @Option(names = "--json", description = "Write the results as JSON")
  Path json;

  @Option(
      names = "--hlog",
      description = "Write corrected latency as an HdrHistogram interval log (1 interval/s)")
  Path hlog;

  @Option(
      names = "--html",
      description = "Write a self-contained HTML report with a percentile plot")
  Path html;

  @Option(names = "--quiet", description = "No progress line on stderr")
  boolean quiet;

  @Override
  public Integer call() throws IOException, InterruptedException {
    LoadSpec spec;
    try {
      spec = spec();
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      return 2;
    }
    BenchResult result;
    try {
      result = new LoadGenerator(spec, quiet ? null : System.err, hlog).run();
    } catch (IOException e) {
      System.err.println("canary-bench: " + e.getMessage());
      return 1;
    }
    TextReport.print(result, System.out);
    if (result.rateWarning() != null) {
      System.err.println(
          "WARNING: " + result.rateWarning() + ". The results describe the lower load.");
    }
    if (json != null) {
      JsonReport.write(result, json);
    }
    if (html != null) {
      HtmlReport.write(
          html, "canary-bench " + result.url(), List.of(HtmlReport.of(result.url(), result)));
    }
    return 0;
  }

  LoadSpec spec() throws IOException {
    if (url == null) {
      throw new IllegalArgumentException(
          "URL: missing (expected: canary-bench [options] http://host[:port]/path)");
    }
    URI uri;
    try {
      uri = URI.create(url);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("URL: " + url + " (expected: http://host[:port]/path)", e);
    }
    LoadSpec.Builder b =
        LoadSpec.builder(uri)
            .duration(Durations.parse("duration", duration))
            .warmup(Durations.parse("warmup", warmup))
            .connections(connections)
            .threads(threads)
            .method(method)
            .timeout(Durations.parse("timeout", timeout));
    if (!rate.equals("max")) {
      try {
        b.rate(Double.parseDouble(rate));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "rate: " + rate + " (expected: a number of requests/s or max)", e);
      }
    }
    for (String h : headers) {
      int colon = h.indexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException("header: " + h + " (expected: 'name: value')");
      }
      b.header(h.substring(0, colon), h.substring(colon + 1));
    }
    if (body != null && bodyFile != null) {
      throw new IllegalArgumentException(
          "body: both --body and --body-file given (expected: one of them)");
    }
    if (body != null) {
      b.body(body.getBytes(StandardCharsets.UTF_8));
    } else if (bodyFile != null) {
      b.body(Files.readAllBytes(bodyFile));
    }
    if (users != null) {
      b.users(UserPicker.parse(userDist, users), userHeader);
    }
    return b.build();
  }
}
